"""Offline metrics: deterministic, and per character so they are right for Chinese.

Text is normalised first (NFKC, lower-case, no whitespace). Containment (key facts, support
quotes) keeps punctuation; the overlap scores (character F1, ROUGE-L) also drop punctuation
and [n] markers. A retrieved chunk is relevant to a support quote when it is from the same
file and holds the quote, or at least 60% of the quote's characters as one contiguous run
(chunk boundaries can cut a quote). A metric that does not apply to a case is None and is
left out of the means; answerable-only metrics are averaged over answerable cases.

`failures()` lists the pass/fail checks a case misses; the graded scores (MRR, character
F1, ROUGE-L) and `all_facts_rate` (the same as missing a key fact) are reported, not checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher

import numpy as np
from rapidfuzz.distance import LCSseq

from assistant.text.segmentation import sentences

from .dataset import Case, Support

K_RETRIEVAL = 5
K_MRR = 10
MIN_QUOTE_OVERLAP = 0.6
MIN_GROUNDING_LCS = 0.8

_WS = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")
_SEGMENT = re.compile(r"(.*?)((?:\s*\[\d+(?:\s*[,，、]\s*\d+)*\])+|$)", re.S)

# summary metric -> (what it means, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "hit@5": ("a chunk holding a support quote is in the top 5", True),
    "recall@5": ("share of support quotes found in the top 5", True),
    "mrr@10": ("1 / rank of the first relevant chunk", True),
    "key_fact_accuracy": ("share of key facts in the answer", True),
    "all_facts_rate": ("answers holding every key fact", True),
    "char_f1": ("character F1 against the reference answer", True),
    "rouge_l": ("character LCS F-measure against the reference answer", True),
    "citation_precision": ("cited chunks that hold support", True),
    "citation_recall": ("support quotes covered by a cited chunk", True),
    "grounding": ("answer sentences found in the chunks they cite", True),
    "supported_answer_rate": ("answers citing a quote that holds a key fact or support", True),
    "negative_rejection": ("unanswerable questions refused", True),
    "false_refusal": ("answerable questions refused", False),
    "latency_p50_ms": ("median latency per question (ms)", False),
    "latency_p95_ms": ("95th percentile latency, in ms", False),
}
JUDGE_METRICS = {
    "judge_faithfulness": ("LLM judge: share of answer claims the sources support", True),
    "judge_correctness": ("LLM judge: share of reference facts the answer states", True),
}
CASE_METRICS = [m for m in METRICS if not m.startswith("latency")]
GRADED = {"mrr@10", "all_facts_rate", "char_f1", "rouge_l"}  # reported per case, not checks
CHECKS = [m for m in CASE_METRICS if m not in GRADED] + list(JUDGE_METRICS)
LOWER_IS_BETTER = {m for m, (_, higher) in METRICS.items() if not higher}


def normalise(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text or "").lower())


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text or "")


def _chars(text: str) -> str:
    """Normalised characters without punctuation or symbols, for the overlap scores."""
    return "".join(
        c for c in normalise(strip_markers(text)) if unicodedata.category(c)[0] not in "PS"
    )


def char_f1(prediction: str, reference: str) -> float:
    pred, ref = _chars(prediction), _chars(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def rouge_l(prediction: str, reference: str) -> float:
    pred, ref = _chars(prediction), _chars(reference)
    if not pred or not ref:
        return float(pred == ref)
    lcs = LCSseq.similarity(pred, ref)
    if not lcs:
        return 0.0
    p, r = lcs / len(pred), lcs / len(ref)
    return 2 * p * r / (p + r)


def holds_quote(chunk_text: str, quote: str) -> bool:
    """The chunk holds the quote, or ≥60% of its characters as one contiguous run."""
    q, c = normalise(quote), normalise(chunk_text)
    if not q:
        return False
    if q in c:
        return True
    run = SequenceMatcher(None, q, c, autojunk=False).find_longest_match(0, len(q), 0, len(c)).size
    return run >= MIN_QUOTE_OVERLAP * len(q)


def relevant(chunk: dict, support: Support) -> bool:
    if support.source and chunk.get("source") and chunk["source"] != support.source:
        return False
    return holds_quote(chunk.get("text", ""), support.quote)


def retrieval_scores(case: Case, retrieved: list[dict]) -> dict[str, float | None]:
    if not case.answerable or not case.support:
        return {"hit@5": None, "recall@5": None, "mrr@10": None}
    flags = [any(relevant(c, s) for s in case.support) for c in retrieved[:K_MRR]]
    first = next((i + 1 for i, f in enumerate(flags) if f), None)
    top = retrieved[:K_RETRIEVAL]
    found = sum(any(relevant(c, s) for c in top) for s in case.support)
    return {
        "hit@5": float(any(flags[:K_RETRIEVAL])),
        "recall@5": found / len(case.support),
        "mrr@10": 1.0 / first if first else 0.0,
    }


def fact_scores(case: Case, answer: str, refused: bool) -> dict[str, float | None]:
    if not case.answerable or not case.key_facts:
        return {"key_fact_accuracy": None, "all_facts_rate": None}
    text = normalise(strip_markers(answer)) if not refused else ""
    held = sum(normalise(f) in text for f in case.key_facts)
    return {
        "key_fact_accuracy": held / len(case.key_facts),
        "all_facts_rate": float(held == len(case.key_facts)),
    }


def overlap_scores(case: Case, answer: str, refused: bool) -> dict[str, float | None]:
    if not case.answerable or not case.reference_answer.strip():
        return {"char_f1": None, "rouge_l": None}
    if refused:
        return {"char_f1": 0.0, "rouge_l": 0.0}
    return {
        "char_f1": char_f1(answer, case.reference_answer),
        "rouge_l": rouge_l(answer, case.reference_answer),
    }


def citation_scores(case: Case, citations: list[dict], refused: bool) -> dict[str, float | None]:
    if not case.answerable or not case.support:
        return {"citation_precision": None, "citation_recall": None}
    cited = list({c["chunk_id"]: c for c in citations}.values())
    precision = (
        sum(any(relevant(c, s) for s in case.support) for c in cited) / len(cited)
        if cited and not refused
        else None
    )
    recall = (
        0.0
        if refused
        else sum(any(relevant(c, s) for c in cited) for s in case.support) / len(case.support)
    )
    return {"citation_precision": precision, "citation_recall": recall}


def supported_answer(case: Case, citations: list[dict], refused: bool) -> float | None:
    """1.0 when an answered, answerable case cites a quote span holding a key fact or support.

    A citation counts when it is not flagged unsupported, and its `quote` (the span, not the
    whole chunk), normalised, contains a normalised key fact, or holds a support quote from
    the same file (`holds_quote`: whole, or ≥60% of its characters contiguously).
    """
    if not case.answerable or refused or not (case.key_facts or case.support):
        return None
    facts = [f for f in (normalise(k) for k in case.key_facts) if f]
    for c in citations:
        if c.get("supported") is False:
            continue
        quote = c.get("quote", "")
        if any(f in normalise(quote) for f in facts):
            return 1.0
        if any(relevant({"source": c.get("source"), "text": quote}, s) for s in case.support):
            return 1.0
    return 0.0


def grounded(claim: str, chunk_text: str) -> bool:
    c, t = _chars(claim), _chars(chunk_text)
    if not c:
        return True
    return c in t or LCSseq.similarity(c, t) >= MIN_GROUNDING_LCS * len(c)


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences, each with the [n] markers that close its run of sentences.

    "A。B。[1]" cites [1] for both A and B; text after the last marker cites nothing.
    """
    out = []
    for m in _SEGMENT.finditer(answer or ""):
        body, group = m.group(1), m.group(2)
        if not body.strip() and not group:
            continue
        markers = [int(n) for n in re.findall(r"\d+", group)]
        out += [(body[a:b], markers) for a, b in sentences(body) if _chars(body[a:b])]
    return out


def grounding(answer: str, retrieved: list[dict], refused: bool) -> float | None:
    """Share of the answer's sentences found in a chunk they cite (a sentence citing nothing fails)."""
    if refused:
        return None
    claims = cited_sentences(answer)
    if not claims:
        return None
    ok = sum(
        any(1 <= n <= len(retrieved) and grounded(body, retrieved[n - 1]["text"]) for n in markers)
        for body, markers in claims
    )
    return ok / len(claims)


def score_case(case: Case, result: dict) -> dict[str, float | None]:
    """Every per-case metric for one answer (`result` is `Answer.to_json()` shaped)."""
    answer, refused = result.get("answer", ""), bool(result.get("refused"))
    retrieved, citations = result.get("retrieved", []), result.get("citations", [])
    scores: dict[str, float | None] = {}
    scores.update(retrieval_scores(case, retrieved))
    scores.update(fact_scores(case, answer, refused))
    scores.update(overlap_scores(case, answer, refused))
    scores.update(citation_scores(case, citations, refused))
    scores["grounding"] = grounding(answer, retrieved, refused)
    scores["supported_answer_rate"] = supported_answer(case, citations, refused)
    scores["negative_rejection"] = None if case.answerable else float(refused)
    scores["false_refusal"] = float(refused) if case.answerable else None
    return scores


def failures(scores: dict[str, float | None]) -> list[str]:
    """The checks a case fails: a rate below 1 (above 0 for false_refusal); None is no check."""
    out = []
    for name in CHECKS:
        value = scores.get(name)
        if value is None:
            continue
        if value > 0.0 if name in LOWER_IS_BETTER else value < 1.0:
            out.append(name)
    return out


def _mean(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return float(np.mean(got)) if got else None


def summarise(rows: list[dict], key: str = "metrics") -> dict:
    """Means over the cases each metric applies to, latency percentiles, and the same per tag."""

    def block(subset: list[dict]) -> dict:
        out: dict = {"n": len(subset), "answerable": sum(bool(r["answerable"]) for r in subset)}
        names = list(dict.fromkeys(n for r in subset for n in r.get(key, {})))
        for name in names:
            out[name] = _mean([r[key].get(name) for r in subset])
        latencies = [r["latency_ms"] for r in subset if r.get("latency_ms") is not None]
        if latencies:
            out["latency_p50_ms"] = float(np.percentile(latencies, 50))
            out["latency_p95_ms"] = float(np.percentile(latencies, 95))
        return out

    tags = sorted({t for r in rows for t in r.get("tags", [])})
    return {
        "metrics": block(rows),
        "by_tag": {t: block([r for r in rows if t in r.get("tags", [])]) for t in tags},
    }
