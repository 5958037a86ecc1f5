"""`assistant eval` end to end on a few seed questions: the four files, the gate, the comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.evaluation import compare, runner

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "evals" / "datasets" / "seeds_qa.jsonl"
SEEDS = ROOT / "seeds"
PICK = ("q003", "q004", "q010", "q080")  # number, follow-up, English, unanswerable near miss
RESULT_FIELDS = {
    "id",
    "question",
    "answer",
    "refused",
    "citations",
    "retrieved",
    "latency_ms",
    "standalone_question",
    "mode",
    "notice",
    "timings_ms",
}
FIELDS = RESULT_FIELDS | {"unsupported_claims", "metrics", "failed", "tags", "answerable"}


@pytest.fixture
def tiny(tmp_path) -> Path:
    lines = [
        ln
        for ln in DATASET.read_text(encoding="utf-8").splitlines()
        if json.loads(ln)["id"] in PICK
    ]
    # text that must be escaped in the HTML report
    lines.append(
        json.dumps(
            {
                "id": "x01",
                "question": "瑞金医院金山院区<script>alert(1)</script>一期规划多少张床位？",
                "key_facts": ["400张"],
                "tags": ["number", "<b>tag</b>"],
            },
            ensure_ascii=False,
        )
    )
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_rows(out: Path) -> list[dict]:
    return [
        json.loads(ln) for ln in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]


@pytest.mark.slow
def test_run_writes_results_summary_and_reports_with_baseline(tiny, tmp_path, seeded_settings):
    out = tmp_path / "run1"
    code = runner.run(dataset=tiny, out=out, baseline=True, settings=seeded_settings, docs=SEEDS)
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {
        "results.jsonl",
        "summary.json",
        "report.md",
        "report.html",
        "baseline.jsonl",
    }
    rows = read_rows(out)
    assert [r["id"] for r in rows] == [*PICK, "x01"]
    for row in rows:
        assert set(row) >= FIELDS, FIELDS - set(row)
        assert row["latency_ms"] > 0 and "baseline" in row
    by_id = {r["id"]: r for r in rows}
    assert (
        by_id["q003"]["metrics"]["hit@5"] == 1.0
        and by_id["q003"]["metrics"]["key_fact_accuracy"] == 1.0
    )
    assert by_id["q004"]["standalone_question"] != by_id["q004"]["question"]  # history was replayed
    assert by_id["q080"]["metrics"]["negative_rejection"] is not None
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cases"] == 5 and summary["baseline"]["metrics"]["n"] == 5
    assert set(summary["project"]["by_tag"]) >= {"number", "english", "follow-up", "unanswerable"}
    assert "| hit@5 |" in (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;tag&lt;/b&gt;" in html
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "<mark>" in html  # support highlighted in the retrieved chunks


def test_fail_under_and_compare(tiny, tmp_path, seeded_settings, capsys):
    first = tmp_path / "first"
    assert (
        runner.run(
            dataset=tiny, out=first, fail_under=["hit@5=0.5"], settings=seeded_settings, docs=SEEDS
        )
        == 0
    )
    second = tmp_path / "second"
    code = runner.run(
        dataset=tiny,
        out=second,
        compare=first,
        fail_under=["hit@5=1.01", "grounding=0"],
        settings=seeded_settings,
        docs=SEEDS,
    )
    assert code == 1
    assert (
        "hit@5" in capsys.readouterr().err and (second / "report.html").is_file()
    )  # written before failing
    comparison = json.loads((second / "compare.json").read_text(encoding="utf-8"))
    assert (
        comparison["worse"] == [] and comparison["better"] == []
    )  # the same code gives the same answers
    assert comparison["previous"] == str(first)


def test_unknown_or_malformed_fail_under_names_valid_metrics():
    with pytest.raises(ConfigError) as err:
        runner.parse_bars(["hit@3=0.5"])
    assert "hit@5" in str(err.value) and "mrr@10" in str(err.value)
    with pytest.raises(ConfigError, match="lower-is-better"):
        runner.parse_bars(["false_refusal=0.1"])
    with pytest.raises(ConfigError, match="METRIC=VALUE"):
        runner.parse_bars(["hit@5"])
    assert runner.parse_bars(["judge_faithfulness=0.7"], judge=True) == {"judge_faithfulness": 0.7}
    assert runner.check_bars({"hit@5": 0.9, "mrr@10": None}, {"hit@5": 0.95, "mrr@10": 0.1}) == [
        "hit@5 = 0.9000 is below 0.95",
        "mrr@10 = n/a is below 0.1",
    ]


def fake_run(folder: Path, metrics_by_id: dict[str, dict]) -> tuple[list[dict], dict]:
    from assistant.evaluation.metrics import failures, summarise

    rows = [
        {
            "id": i,
            "question": f"问题{i}",
            "answerable": True,
            "tags": [],
            "latency_ms": 1.0,
            "metrics": m,
            "failed": failures(m),
        }
        for i, m in metrics_by_id.items()
    ]
    summary = {"created": "t", "project": summarise(rows)}
    folder.mkdir()
    (folder / "results.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return rows, summary


def test_compare_lists_worse_cases_first_and_failing_first(tmp_path):
    fake_run(
        tmp_path / "old",
        {
            "a": {"hit@5": 1.0, "false_refusal": 0.0},
            "b": {"hit@5": 0.0, "false_refusal": 1.0},
            "c": {"hit@5": 1.0, "false_refusal": 0.0},
            "gone": {"hit@5": 1.0},
        },
    )
    rows, summary = fake_run(
        tmp_path / "new",
        {
            "a": {"hit@5": 0.0, "false_refusal": 0.0},
            "b": {"hit@5": 1.0, "false_refusal": 0.0},
            "c": {"hit@5": 1.0, "false_refusal": 1.0},
            "new": {"hit@5": 1.0},
        },
    )
    got = compare.compare(tmp_path / "old", rows, summary)
    assert [e["id"] for e in got["worse"]] == ["a", "c"]
    assert got["worse"][1]["worse"] == {"false_refusal": [0.0, 1.0]}  # lower is better
    assert [e["id"] for e in got["better"]] == ["b"]
    assert got["newly_failing"] == ["a", "c"]
    assert got["new_cases"] == ["new"] and got["missing_cases"] == ["gone"]
    assert got["metrics"]["hit@5"]["delta"] == pytest.approx(0.75 - 0.75)
    with pytest.raises(Exception, match="results.jsonl and summary.json"):
        compare.compare(tmp_path / "nothing", rows, summary)


CITATION_FIELDS = {"n", "source", "title", "chunk_id", "text", "quote", "start", "end"}
RETRIEVED_FIELDS = {"chunk_id", "source", "score", "text"}


@pytest.mark.slow
def test_an_unseen_dataset_with_its_own_documents_through_the_cli(tmp_path, seeded_settings):
    """A dataset the harness has never seen: _meta docs, and no reference_answer/tags/support."""
    from typer.testing import CliRunner

    from assistant.cli import app

    docs = tmp_path / "elsewhere" / "docs"  # named by the dataset, relative to it
    docs.mkdir(parents=True)
    (docs / "note.txt").write_text(
        "星河公司成立于1999年，总部位于青岛，员工共有3200人。\n\n该公司主要生产海洋仪器。",
        encoding="utf-8",
    )
    cases = [
        {"_meta": {"docs": "docs"}},
        {
            "id": "s1",
            "question": "星河公司有多少员工？",
            "key_facts": ["3200人"],
            "support": [{"source": "note.txt", "quote": "员工共有3200人"}],
        },
        {"id": "s2", "question": "星河公司的总部在哪里？"},  # only the two required fields
        {"id": "s3", "question": "它是哪一年成立的？", "history": ["星河公司有多少员工？"]},
        {"id": "s4", "question": "星河公司的董事长是谁？", "answerable": False},
    ]
    dataset = tmp_path / "elsewhere" / "unseen.jsonl"
    dataset.write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )
    out = tmp_path / "out"
    cli = CliRunner()
    bad = cli.invoke(app, ["eval", "--dataset", str(dataset), "--fail-under", "hit@3=0.5"])
    assert bad.exit_code == 2 and "hit@5" in bad.output  # names the valid metrics
    assert not out.exists()
    result = cli.invoke(
        app, ["eval", "--dataset", str(dataset), "--out", str(out), "--fail-under", "hit@5=1"]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {
        "results.jsonl",
        "summary.json",
        "report.md",
        "report.html",
    }
    rows = read_rows(out)
    assert [r["id"] for r in rows] == ["s1", "s2", "s3", "s4"]
    for row in rows:
        assert set(row) >= RESULT_FIELDS, RESULT_FIELDS - set(row)
        assert row["mode"] == "extractive" and row["latency_ms"] > 0 and row["timings_ms"]
        assert row["retrieved"] and all(set(r) >= RETRIEVED_FIELDS for r in row["retrieved"])
        assert all(set(c) >= CITATION_FIELDS for c in row["citations"])
        for c in row["citations"]:
            assert c["text"][c["start"] : c["end"]] == c["quote"]
    s1, s2, s3, s4 = rows
    assert s1["metrics"]["hit@5"] == 1.0 and s1["metrics"]["key_fact_accuracy"] == 1.0
    assert s1["metrics"]["supported_answer_rate"] == 1.0 and s1["citations"]
    assert s1["retrieved"][0]["source"] == "note.txt"
    assert s2["metrics"]["hit@5"] is None and s2["metrics"]["char_f1"] is None  # nothing to score
    assert s3["standalone_question"] != s3["question"]  # the history was used
    assert s4["metrics"]["negative_rejection"] is not None
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["docs"] == str(docs.resolve())
    assert summary["project"]["by_tag"] == {} and summary["errors"] == 0
    assert "note.txt" in summary["indexed_documents"]


def test_html_highlights_support_and_underlines_the_cited_span():
    from assistant.evaluation.report_html import highlight

    text = "甲乙<丙>。一期规划 床位400张。"
    got = highlight(text, ["一期规划床位400张"], [(0, 6)])
    assert got.startswith("<u>甲乙&lt;丙&gt;。</u>")  # escaped, cited span underlined
    assert "<mark>一期规划 床位400张</mark>" in got  # found across the whitespace
    both = highlight("一期规划床位400张。", ["一期规划床位400张"], [(0, 4)])
    assert both.startswith("<mark><u>一期规划</u></mark><mark>床位400张</mark>")
    assert highlight("无关", ["一期规划床位400张"]) == "无关"


def test_sign_test_is_the_exact_binomial_two_sided_test():
    from scipy.stats import binomtest  # scikit-learn's dependency: an independent reference

    assert compare.sign_test(0, 0) == 1.0  # nothing changed: nothing to tell
    assert compare.sign_test(5, 5) == 1.0
    assert compare.sign_test(10, 0) == pytest.approx(2 / 1024)
    for wins, losses in [(11, 14), (7, 13), (3, 12), (20, 4)]:
        expected = binomtest(wins, wins + losses, 0.5).pvalue
        assert compare.sign_test(wins, losses) == pytest.approx(expected)
        assert compare.sign_test(losses, wins) == pytest.approx(expected)  # two-sided


def test_compare_counts_the_refusals_that_changed(tmp_path):
    def run(folder: Path, refused: dict[str, bool]) -> tuple[list[dict], dict]:
        rows, summary = fake_run(folder, dict.fromkeys(refused, {"hit@5": 1.0}))
        for row in rows:
            row["refused"] = refused[row["id"]]
            row["answerable"] = not row["id"].startswith("u")
        (folder / "results.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
        )
        return rows, summary

    run(tmp_path / "old", {"u1": False, "u2": False, "u3": True, "a1": True, "a2": False})
    rows, summary = run(
        tmp_path / "new", {"u1": True, "u2": True, "u3": False, "a1": False, "a2": True}
    )
    got = compare.compare(tmp_path / "old", rows, summary)["decisions"]
    assert got == {
        "unanswerable_now_refused": 2,
        "unanswerable_now_answered": 1,
        "answerable_now_answered": 1,
        "answerable_now_refused": 1,
        "fixed": 3,
        "broken": 2,
        "p": 1.0,
    }
    line = compare.decisions_line(got)
    assert "3 fixed" in line and "2 broken" in line and "p = 1.000" in line
    unchanged = compare.compare(tmp_path / "new", rows, summary)["decisions"]
    assert (unchanged["fixed"], unchanged["broken"], unchanged["p"]) == (0, 0, 1.0)
