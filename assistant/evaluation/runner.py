"""`assistant eval`: every case through the assistant (and the baseline), scored and reported.

    load dataset ─ ingest its documents ─ ask each case ─ score ─ baseline? ─ judge? ─ write ─ gate

The run folder gets results.jsonl (one line per case: the answer as `Answer.to_json()`,
latency, metric values, failed checks), summary.json, report.md and report.html, plus
baseline.jsonl with --baseline and compare.json with --compare.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import AssistantError, ConfigError
from ..settings import Settings
from . import compare as compare_mod
from . import metrics, report, report_html
from .dataset import Case, Dataset, load

MAIN = [
    "hit@5",
    "recall@5",
    "mrr@10",
    "key_fact_accuracy",
    "all_facts_rate",
    "char_f1",
    "rouge_l",
    "citation_precision",
    "citation_recall",
    "grounding",
    "supported_answer_rate",
    "negative_rejection",
    "false_refusal",
    "latency_p50_ms",
    "latency_p95_ms",
]
JUDGE_REPEATS = 3


def parse_bars(specs: Iterable[str], judge: bool = False) -> dict[str, float]:
    """`METRIC=VALUE` floors; unknown or lower-is-better metrics are an error naming the valid ones."""
    known = {**metrics.METRICS, **(metrics.JUDGE_METRICS if judge else {})}
    valid = sorted(m for m, (_, higher) in known.items() if higher)
    bars: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep:
            raise ConfigError(f"--fail-under {spec!r}: write METRIC=VALUE, e.g. hit@5=0.8")
        if name not in known or not known[name][1]:
            why = (
                "is lower-is-better, so it cannot be a floor"
                if name in known
                else "is not a metric"
            )
            raise ConfigError(f"--fail-under {name!r} {why}; valid metrics: {', '.join(valid)}")
        try:
            bars[name] = float(value)
        except ValueError:
            raise ConfigError(f"--fail-under {spec!r}: {value!r} is not a number") from None
    return bars


def check_bars(summary_metrics: dict, bars: dict[str, float]) -> list[str]:
    """One line per metric below its bar."""
    failed = []
    for name, bar in bars.items():
        value = summary_metrics.get(name)
        if value is None or value < bar:
            shown = "n/a" if value is None else f"{value:.4f}"
            failed.append(f"{name} = {shown} is below {bar:g}")
    return failed


def docs_folder(ds: Dataset, docs: Path | None) -> Path:
    if docs is not None:
        return Path(docs)
    if ds.docs is not None:
        return ds.docs
    return Path("seeds")  # of the working directory, as `make eval` runs it


def case_row(case: Case, result: dict, latency_ms: float, error: str | None = None) -> dict:
    scores = metrics.score_case(case, result)
    return {
        "id": case.id,
        "question": case.question,
        "history": case.history,
        "answerable": case.answerable,
        "tags": case.tags,
        "key_facts": case.key_facts,
        "support": [{"source": s.source, "quote": s.quote} for s in case.support],
        "reference_answer": case.reference_answer,
        **{k: v for k, v in result.items() if k != "question"},
        "latency_ms": round(latency_ms, 2),
        "error": error,
        "metrics": scores,
        "failed": metrics.failures(scores),
    }


def failed_answer(case: Case) -> dict:
    """The fields of `Answer.to_json()` for a question that raised an error (scored as no answer)."""
    return {
        "standalone_question": case.question,
        "answer": "",
        "refused": False,
        "mode": None,
        "model": None,
        "notice": None,
        "citations": [],
        "unsupported_claims": [],
        "retrieved": [],
        "timings_ms": {},
    }


def ask_all(ask: Callable, cases: list[Case], label: str, console: Console) -> list[dict]:
    rows = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=len(cases))
        for case in cases:
            started = time.perf_counter()
            error = None
            try:
                result = ask(case.question, case.history).to_json()
            except AssistantError as exc:
                if "no documents" in str(exc):
                    raise
                error, result = str(exc), failed_answer(case)
            rows.append(case_row(case, result, (time.perf_counter() - started) * 1000, error))
            bar.update(task, advance=1, description=f"{label} {case.id}")
    return rows


def run(
    dataset: Path,
    mode: str = "extractive",
    judge: bool = False,
    baseline: bool = False,
    compare: Path | None = None,
    out: Path | None = None,
    fail_under: Iterable[str] = (),
    docs: Path | None = None,
    judge_repeats: int = JUDGE_REPEATS,
    settings: Settings | None = None,
    console: Console | None = None,
) -> int:
    from assistant.answering.chain import Assistant

    console = console or Console(stderr=True)
    bars = parse_bars(fail_under, judge)
    if mode not in ("extractive", "llm"):
        raise ConfigError(f"--mode {mode!r}: use extractive or llm")
    ds = load(dataset)
    settings = settings or Settings()
    settings.answer.mode = mode  # type: ignore[assignment]
    if (judge or mode == "llm") and settings.llm.api_key is None:
        what = "--judge" if judge else "--mode llm"
        raise ConfigError(
            f"{what} needs an OpenAI-compatible endpoint: set OPENAI_API_KEY (any value for a local "
            "server) and OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama), and LLM_MODEL"
        )
    folder = docs_folder(ds, docs)
    if not folder.is_dir():
        raise ConfigError(
            f"the documents folder {folder} does not exist: pass --docs or add it to the dataset"
        )
    if compare is not None:
        compare_mod.load_run(Path(compare))  # a wrong folder fails now, not after the run
    out = Path(out) if out else Path("evals/runs") / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)

    bot = Assistant.from_settings(settings)
    ingested = bot.ingest([folder])
    console.print(f"documents in {folder}: {ingested.summary()}")
    indexed = [r.source for r in bot.sources()]
    extra = sorted(set(indexed) - {r.source for r in ingested.results})
    if extra:
        console.print(
            f"[yellow]note:[/] the index also holds {len(extra)} documents not in {folder} "
            f"({', '.join(extra[:3])}{', …' if len(extra) > 3 else ''}); they take part in "
            "retrieval. Set ASSISTANT_DATA_DIR to an empty folder to score on these documents alone."
        )
    rows = ask_all(bot.ask, ds.cases, "project ", console)

    base_rows = None
    if baseline:
        from .baseline import naive_assistant

        with tempfile.TemporaryDirectory(
            prefix="eval-baseline-", ignore_cleanup_errors=True
        ) as tmp:
            naive = naive_assistant(bot, folder, Path(tmp))
            base_rows = ask_all(naive.ask, ds.cases, "baseline", console)
            del naive

    judge_summary = None
    if judge:
        from .judge import Judge, apply

        judge_ = Judge(settings.llm, settings.cache_dir / "judge", repeats=judge_repeats)
        judge_summary = apply(judge_, rows, console)
        if base_rows:
            judge_summary["baseline"] = apply(judge_, base_rows, console, "judge baseline")
        for row in rows + (base_rows or []):
            row["failed"] = metrics.failures(row["metrics"])

    if base_rows:
        for row, base in zip(rows, base_rows, strict=True):
            row["baseline"] = {
                k: base[k] for k in ("answer", "refused", "metrics", "failed", "latency_ms")
            }

    summary: dict = {
        "dataset": str(ds.path),
        "docs": str(folder),
        "mode": mode,
        "cases": len(rows),
        "created": datetime.now().isoformat(timespec="seconds"),
        "model": settings.llm.model if mode == "llm" else None,
        "indexed_documents": indexed,
        "errors": sum(r["error"] is not None for r in rows),
        "llm_fallbacks": sum(r.get("mode") == "extractive" and bool(r.get("notice")) for r in rows)
        if mode == "llm"
        else None,
        "project": metrics.summarise(rows),
        "baseline": metrics.summarise(base_rows) if base_rows else None,
        "judge": judge_summary,
    }
    if summary["errors"]:
        console.print(
            f"[red]{summary['errors']} questions raised an error[/] (scored as no answer)"
        )
    if summary["llm_fallbacks"]:
        console.print(
            f"[yellow]{summary['llm_fallbacks']} answers fell back to extractive[/]: "
            "the LLM call failed (see `notice` in results.jsonl)"
        )
    if judge_summary:
        console.print(
            f"judge: {judge_summary['calls']} calls, {judge_summary['cached']} cached, "
            f"{judge_summary['parse_failures']} unparseable replies (left out of the means)"
        )
    comparison = compare_mod.compare(Path(compare), rows, summary) if compare else None
    write(out, rows, summary, base_rows, comparison)
    console.print(summary_table(summary))
    if comparison:
        console.print(compare_mod.headline(comparison))
    console.print(f"wrote {out}/report.html")
    failed = check_bars(summary["project"]["metrics"], bars)
    for line in failed:
        console.print(f"[red]fail-under:[/] {line}")
    return 1 if failed else 0


def write(
    out: Path,
    rows: list[dict],
    summary: dict,
    base_rows: list[dict] | None,
    comparison: dict | None,
) -> None:
    def jsonl(path: Path, items: list[dict]) -> None:
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8"
        )

    jsonl(out / "results.jsonl", rows)
    if base_rows is not None:
        jsonl(out / "baseline.jsonl", base_rows)
    if comparison is not None:
        (out / "compare.json").write_text(
            json.dumps(comparison, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "report.md").write_text(report.markdown(rows, summary, comparison), encoding="utf-8")
    (out / "report.html").write_text(
        report_html.html_page(rows, summary, comparison), encoding="utf-8"
    )


def summary_table(summary: dict) -> Table:
    project = summary["project"]["metrics"]
    base = (summary.get("baseline") or {}).get("metrics")
    table = Table(title=f"{summary['cases']} cases, {summary['mode']} mode", title_justify="left")
    table.add_column("metric")
    table.add_column("project", justify="right")
    if base:
        table.add_column("baseline", justify="right")
        table.add_column("Δ", justify="right")
    names = MAIN + [m for m in metrics.JUDGE_METRICS if m in project]
    for name in names:
        value = project.get(name)
        cells = [name, report.fmt(name, value)]
        if base:
            b = base.get(name)
            cells += [report.fmt(name, b), report.fmt_delta(name, value, b)]
        table.add_row(*cells)
    return table
