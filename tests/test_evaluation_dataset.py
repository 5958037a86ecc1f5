"""The dataset loader: strict and clear on malformed lines, tolerant of missing optional fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.evaluation.dataset import load

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loads_the_project_dataset():
    ds = load(ROOT / "evals" / "datasets" / "seeds_qa.jsonl")
    assert len(ds.cases) == len({c.id for c in ds.cases}) >= 60
    assert any(c.history for c in ds.cases) and any(not c.answerable for c in ds.cases)


def test_missing_optional_fields_get_defaults(tmp_path):
    ds = load(
        write(
            tmp_path,
            '{"id": "a", "question": "问题？"}',
            "",
            '{"id": "b", "question": "q", "tags": ["unanswerable"]}',
        )
    )
    a, b = ds.cases
    assert (a.history, a.key_facts, a.support, a.reference_answer, a.tags, a.answerable) == (
        [],
        [],
        [],
        "",
        [],
        True,
    )
    assert b.answerable is False  # inferred from the tag when the field is missing
    assert ds.docs is None


def test_unknown_fields_are_tolerated(tmp_path):
    ds = load(write(tmp_path, '{"id": "a", "question": "q", "difficulty": 3}'))
    assert ds.cases[0].id == "a"


def test_meta_line_names_the_documents(tmp_path):
    ds = load(write(tmp_path, '{"_meta": {"docs": "docs"}}', '{"id": "a", "question": "q"}'))
    assert ds.docs == (tmp_path / "docs").resolve()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "question": "q"', "line 2: invalid JSON"),
        ('["a"]', "line 2: expected a JSON object"),
        ('{"question": "q"}', "line 2: missing required field `id`"),
        ('{"id": "b", "question": ""}', "line 2: `question` must be a non-empty string"),
        (
            '{"id": "b", "question": "q", "history": "earlier"}',
            "line 2: `history` must be a list of strings",
        ),
        (
            '{"id": "b", "question": "q", "support": [{"source": "x"}]}',
            "line 2: support[0] must be an object with a non-empty string `quote`",
        ),
        (
            '{"id": "b", "question": "q", "answerable": "yes"}',
            "line 2: `answerable` must be true or false",
        ),
        ('{"id": "a", "question": "q"}', "line 2: duplicate id 'a' (first on line 1)"),
    ],
)
def test_malformed_lines_name_line_and_problem(tmp_path, line, message):
    path = write(tmp_path, json.dumps({"id": "a", "question": "q"}), line)
    with pytest.raises(InputError) as err:
        load(path)
    assert message in str(err.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="no dataset at"):
        load(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="holds no cases"):
        load(write(tmp_path, ""))
