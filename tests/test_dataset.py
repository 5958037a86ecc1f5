"""Sanity checks for the hand-written golden question set evals/datasets/seeds_qa.jsonl.

Only the standard library is used: the dataset must stay checkable without the project installed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DATASET = ROOT / "evals" / "datasets" / "seeds_qa.jsonl"
SEEDS = ROOT / "seeds"

REQUIRED = {
    "id": str,
    "question": str,
    "answerable": bool,
    "key_facts": list,
    "support": list,
    "reference_answer": str,
    "tags": list,
}
OPTIONAL = {"history": list}
ALLOWED_TAGS = {
    "factoid",
    "number",
    "date",
    "name",
    "list",
    "multi-article",
    "follow-up",
    "english",
    "unanswerable",
    "near-miss",
}
DOC_TAG = re.compile(r"^doc:(\d{3})$")
WS = re.compile(r"\s+")


def norm(text: str) -> str:
    """NFKC, then drop every whitespace character (line breaks of the scraped seeds included)."""
    return WS.sub("", unicodedata.normalize("NFKC", text))


def load_cases() -> list[dict]:
    cases = []
    with DATASET.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
                pytest.fail(f"line {lineno}: invalid JSON: {exc}")
    return cases


CASES = load_cases()
IDS = [c.get("id", f"#{i}") for i, c in enumerate(CASES)]


@cache
def seed_text(name: str) -> str:
    path = SEEDS / name
    assert path.is_file(), f"unknown seed file {name!r} (looked in {SEEDS})"
    return norm(path.read_text(encoding="utf-8"))


def seed_files() -> list[str]:
    return sorted(p.name for p in SEEDS.glob("*.txt"))


# ------------------------------------------------------------------ file level


def test_file_is_utf8_without_ascii_escapes():
    raw = DATASET.read_bytes()
    raw.decode("utf-8")
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM please"
    assert b"\\u" not in raw, "write with ensure_ascii=False"


def test_seeds_present():
    assert seed_files(), f"no seed files in {SEEDS}"


def test_ids_unique():
    dupes = [i for i, n in Counter(c["id"] for c in CASES).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


# ------------------------------------------------------------------ per case schema


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_schema(case):
    for field, typ in REQUIRED.items():
        assert field in case, f"missing {field}"
        assert isinstance(case[field], typ), f"{field} should be {typ.__name__}"
    extra = set(case) - set(REQUIRED) - set(OPTIONAL)
    assert not extra, f"unknown fields {extra}"
    assert re.fullmatch(r"q\d{3,}", case["id"])
    assert case["question"].strip()
    assert case["reference_answer"].strip()

    if "history" in case:
        assert isinstance(case["history"], list) and case["history"], (
            "history must be a non-empty list"
        )
        assert all(isinstance(h, str) and h.strip() for h in case["history"])

    assert all(isinstance(k, str) for k in case["key_facts"])
    for s in case["support"]:
        assert isinstance(s, dict) and set(s) == {"source", "quote"}, s
        assert isinstance(s["source"], str) and isinstance(s["quote"], str)

    tags = case["tags"]
    assert tags and all(isinstance(t, str) for t in tags)
    bad = [t for t in tags if t not in ALLOWED_TAGS and not DOC_TAG.match(t)]
    assert not bad, f"unknown tags {bad}"
    assert len(tags) == len(set(tags)), "duplicate tags"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_answerable_consistency(case):
    tags = set(case["tags"])
    assert case["answerable"] == bool(case["support"])
    assert case["answerable"] == bool(case["key_facts"])
    assert case["answerable"] == ("unanswerable" not in tags)
    if "near-miss" in tags:
        assert not case["answerable"]
    assert ("follow-up" in tags) == bool(case.get("history")), "follow-up tag <=> history"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_doc_tags_match_sources(case):
    sources = {s["source"] for s in case["support"]}
    doc_tags = {t.split(":", 1)[1] for t in case["tags"] if DOC_TAG.match(t)}
    cited = {src[:3] for src in sources}
    assert cited <= doc_tags, f"support cites {cited} but doc tags are {doc_tags}"
    if case["answerable"]:
        assert doc_tags == cited, f"doc tags {doc_tags} != cited {cited}"
    if "multi-article" in case["tags"]:
        assert len(sources) >= 2, "multi-article needs support from two or more articles"


# ------------------------------------------------------------------ grounding


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["support"]], ids=[c["id"] for c in CASES if c["support"]]
)
def test_quotes_exist_in_sources(case):
    for s in case["support"]:
        quote = norm(s["quote"])
        assert 10 <= len(quote) <= 120, f"quote length {len(quote)}: {s['quote']!r}"
        assert quote in seed_text(s["source"]), f"quote not found in {s['source']}: {s['quote']!r}"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["key_facts"]], ids=[c["id"] for c in CASES if c["key_facts"]]
)
def test_key_facts_in_quotes(case):
    quotes = [norm(s["quote"]) for s in case["support"]]
    for fact in case["key_facts"]:
        f = norm(fact)
        assert 2 <= len(f) <= 15, f"key fact should be short: {fact!r}"
        assert any(f in q for q in quotes), f"key fact {fact!r} not in any support quote"


# ------------------------------------------------------------------ coverage


def count(tag: str) -> int:
    return sum(tag in c["tags"] for c in CASES)


def test_counts():
    assert len(CASES) >= 60
    assert sum(not c["answerable"] for c in CASES) >= 10
    assert count("near-miss") >= 5
    assert sum(bool(c.get("history")) and "follow-up" in c["tags"] for c in CASES) >= 6
    assert count("english") >= 6
    assert count("multi-article") >= 5


def test_every_seed_referenced():
    referenced = {s["source"] for c in CASES for s in c["support"]}
    missing = set(seed_files()) - referenced
    assert not missing, f"seed files without any question: {sorted(missing)}"


def test_every_kind_of_question_is_asked():
    for tag in ("number", "date", "name", "list"):
        assert count(tag) >= 3, f"too few {tag!r} questions"


# ------------------------------------------ every dataset in evals/datasets and evals/sealed
EVALS = DATASET.parents[1]


def dataset_files() -> list[Path]:
    return sorted([*EVALS.glob("datasets/*.jsonl"), *EVALS.glob("sealed/*.jsonl")])


def dataset_quotes() -> list[tuple[str, int, dict | None]]:
    """(path under evals/, line number, support) for every support quote of every dataset
    file, the sealed ones included (checked here so that they are usable when their turn
    comes; nothing else reads them).

    A line that is not JSON gives one entry with support None, which fails its test
    instead of breaking the collection of this module.
    """
    out: list[tuple[str, int, dict | None]] = []
    for path in dataset_files():
        name = path.relative_to(EVALS).as_posix()
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                obj = json.loads(line) if line.strip() else {}
            except json.JSONDecodeError:
                out.append((name, lineno, None))
                continue
            if isinstance(obj, dict) and "_meta" not in obj:
                out += [(name, lineno, s) for s in obj.get("support") or []]
    return out


def docs_of(name: str) -> Path:
    path = EVALS / name
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    try:
        meta = json.loads(first).get("_meta")
    except (json.JSONDecodeError, AttributeError):
        meta = None
    return (path.parent / meta["docs"]).resolve() if meta and meta.get("docs") else SEEDS


@pytest.mark.parametrize(
    ("name", "lineno", "support"),
    dataset_quotes(),
    ids=[f"{n}:{i}" for n, i, _ in dataset_quotes()],
)
def test_quotes_of_every_dataset_exist_in_their_sources(name, lineno, support):
    """The same check for every set the gate may run (held-out sets included)."""
    assert support is not None, f"{name}:{lineno}: not valid JSON"
    source = docs_of(name) / support["source"]
    assert source.is_file(), (
        f"{name}:{lineno}: no document {support['source']!r} in {source.parent}"
    )
    text = norm(source.read_text(encoding="utf-8"))
    assert norm(support["quote"]) in text, f"{name}:{lineno}: quote not in {support['source']}"


@pytest.mark.parametrize(
    "name",
    [p.relative_to(EVALS).as_posix() for p in dataset_files()],
)
def test_every_dataset_loads_with_its_documents(name):
    """What `assistant eval --dataset` reads: every case parsed, the documents folder there."""
    from assistant.evaluation.dataset import load

    data = load(EVALS / name)
    assert data.cases, f"{name}: no cases"
    assert (data.docs or SEEDS).is_dir()
    assert len({c.id for c in data.cases}) == len(data.cases), f"{name}: repeated ids"
