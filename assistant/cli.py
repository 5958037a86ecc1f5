"""The `assistant` command. Errors become one line on stderr and a non-zero exit here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.errors import AssistantError
from assistant.redact import redact

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ask cited questions about your Chinese documents.",
)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {redact(message)}", err=True)
    raise typer.Exit(code)


KbOption = Annotated[
    str | None,
    typer.Option("--kb", help="The knowledge base (default ASSISTANT_KB, `default`)"),
]


def _settings(kb: str | None = None):
    """Settings for knowledge base `kb` (one that exists: `assistant kb create` makes one)."""
    from assistant.index.knowledge_bases import KnowledgeBases
    from assistant.settings import Settings

    settings = Settings()
    if kb:
        settings = settings.for_kb(kb.strip())
    try:
        if settings.kb != "default" and not KnowledgeBases(settings).exists(settings.kb):
            fail(
                f"there is no knowledge base {settings.kb!r}: create it with "
                f"`assistant kb create {settings.kb}` (`assistant kb list` shows them)"
            )
    except AssistantError as exc:
        fail(str(exc))
    return settings


def _assistant(kb: str | None = None):
    from assistant.answering.chain import Assistant

    settings = _settings(kb)
    try:
        return Assistant.from_settings(settings)
    except AssistantError as exc:
        fail(str(exc))


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .pdf)")],
    kb: KbOption = None,
) -> None:
    """Add documents to the index (unchanged files are skipped)."""
    from rich.console import Console
    from rich.markup import escape as esc
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from assistant.ingest.background import IngestJob
    from assistant.ingest.pipeline import discover

    console = Console(stderr=True)
    bot = _assistant(kb)
    files = discover(paths)
    if not files:
        fail("no files found under " + ", ".join(map(str, paths)))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[extra]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        # First the vectors (the slow part: chunks embedded, the rate and an ETA measured on
        # this run), then the index (files), every vector found in the cache by then.
        embed = bar.add_task("embedding", total=None, extra="")

        def on_progress(p) -> None:
            eta = "" if p.eta_s is None else f"ETA {p.eta_s:.0f}s"
            rate = "" if p.rate is None else f"{p.rate:.1f} chunks/s"
            bar.update(
                embed,
                total=p.total_chunks or None,
                completed=p.embedded,
                extra=" · ".join(x for x in (rate, eta) if x),
            )

        job = IngestJob(
            bot.settings.kb,
            files,
            bot.settings,
            separate_process=False,
            on_progress=on_progress,
            embedder=bot.embeddings,
        )
        job.run()
        task = bar.add_task("indexing", total=len(files), extra="")

        def on_file(result) -> None:
            bar.update(task, advance=1, description=f"{result.status:9} {result.source}")

        def on_chunks(source: str, done: int, total: int) -> None:  # within a large file
            bar.update(task, description=f"writing {source}: {done}/{total} chunks")

        try:
            report = bot.ingest(paths, on_file, on_chunks)
            if report.changed or report.repaired:
                bar.update(task, description="indexing terms for BM25")
                bot.retriever.bm25()  # built here, not on the first question
        except AssistantError as exc:
            fail(str(exc))
    for r in report.results:
        if r.status == "skipped":
            console.print(f"[yellow]skipped[/] {esc(r.path)}: {esc(redact(r.reason))}")
        elif r.status != "unchanged":
            console.print(
                f"[green]{r.status}[/] {esc(r.source)} ({r.chunks} chunks, {r.tokens} tokens)"
            )
        for warning in r.warnings:
            console.print(f"[yellow]warning[/] {esc(r.source)}: {esc(warning)}")
    if report.repaired:
        console.print(f"repaired: removed {report.repaired} chunks left by an interrupted ingest")
    typer.echo(report.summary())
    if report.results and report.count("skipped") == len(report.results):
        fail("nothing could be ingested: every file was skipped (reasons above)")


@app.command()
def ask(
    question: str,
    history: Annotated[
        list[str] | None,
        typer.Option("--history", help="An earlier question (repeat, oldest first)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    kb: KbOption = None,
) -> None:
    """Answer a question from the indexed documents, with citations."""
    bot = _assistant(kb)
    try:
        answer = bot.ask(question, history or [])
    except AssistantError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    if answer.notice:
        typer.echo(f"[{redact(answer.notice)}]", err=True)
    for warning in answer.warnings:
        typer.echo(f"[warning: {warning}]", err=True)
    if answer.standalone_question != answer.question:
        typer.echo(f"({answer.standalone_question})")
    typer.echo(answer.answer)
    for c in answer.citations:
        flag = "" if c.supported else "  (not supported)"
        typer.echo(f"  [{c.n}] {c.title} — {c.source}: “{c.quote}”{flag}")


@app.command()
def sources(kb: KbOption = None) -> None:
    """List the indexed documents."""
    from datetime import datetime

    for r in _assistant(kb).sources():
        when = datetime.fromtimestamp(r.ingested_at).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{r.source}\t{r.chunks} chunks\t{when}\t{r.title}")


@app.command()
def forget(source: str, kb: KbOption = None) -> None:
    """Remove a document from the index by its name, as `assistant sources` lists it."""
    if not _assistant(kb).forget(source):
        fail(f"no document named {source!r}; `assistant sources` lists them")
    typer.echo(f"forgot {source}")


@app.command()
def reindex(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to index again")],
) -> None:
    """Delete the index and build it again (e.g. after changing the embedding model)."""
    from assistant.index.store import Store, make_client
    from assistant.settings import Settings

    settings = Settings()
    Store.drop(make_client(settings), settings.collection)
    ingest_cmd(paths)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default UI_HOST, 127.0.0.1)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default UI_PORT, 7860)")] = None,
) -> None:
    """Start the chat in a browser."""
    from assistant.ui.server import launch

    try:
        launch(host=host, port=port)
    except AssistantError as exc:
        fail(str(exc))


@app.command("eval")
def eval_cmd(
    dataset: Annotated[Path, typer.Option(help="A JSONL question set")] = Path(
        "evals/datasets/seeds_qa.jsonl"
    ),
    mode: Annotated[str, typer.Option(help="extractive or llm")] = "extractive",
    judge: Annotated[
        bool, typer.Option(help="Also score with an LLM judge (needs an endpoint)")
    ] = False,
    baseline: Annotated[
        bool, typer.Option(help="Also run the naive pipeline and report deltas")
    ] = False,
    compare: Annotated[
        Path | None, typer.Option(help="An earlier run's folder to compare with")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the run (default evals/runs/<time>)")
    ] = None,
    fail_under: Annotated[
        list[str] | None, typer.Option(help="METRIC=VALUE; exit 1 when below (repeat)")
    ] = None,
    docs: Annotated[
        Path | None,
        typer.Option(help="The documents folder (default: the dataset's _meta, else seeds/)"),
    ] = None,
    judge_repeats: Annotated[
        int, typer.Option(min=1, help="Judge each answer N times (mean and spread)")
    ] = 3,
    kb: KbOption = None,
) -> None:
    """Score answer quality on a question set and write a report (exit 1 below a --fail-under bar)."""
    from assistant.evaluation.runner import parse_bars, run

    try:
        parse_bars(fail_under or [], judge)
    except AssistantError as exc:
        fail(str(exc), 2)  # a misconfigured gate, told apart from a missed bar
    try:
        code = run(
            dataset=dataset,
            mode=mode,
            judge=judge,
            baseline=baseline,
            compare=compare,
            out=out,
            fail_under=fail_under or [],
            docs=docs,
            judge_repeats=judge_repeats,
            settings=_settings(kb),
        )
    except AssistantError as exc:
        fail(str(exc))
    raise typer.Exit(code)


kb_app = typer.Typer(no_args_is_help=True, help="Knowledge bases: list, create, rename, delete.")
app.add_typer(kb_app, name="kb")


def _kbs():
    from assistant.index.knowledge_bases import KnowledgeBases

    try:
        return KnowledgeBases(_settings())
    except AssistantError as exc:
        fail(str(exc))


@kb_app.command("list")
def kb_list() -> None:
    """Every knowledge base with its document count (* marks ASSISTANT_KB)."""
    from assistant.settings import Settings

    current = Settings().kb
    for item in _kbs().list():
        mark = "*" if item.name == current else " "
        typer.echo(f"{mark} {item.name}\t{item.documents} documents\t{item.collection}")


@kb_app.command("create")
def kb_create(name: str) -> None:
    """Create an empty knowledge base (then `assistant ingest --kb NAME PATH`)."""
    try:
        item = _kbs().create(name)
    except AssistantError as exc:
        fail(str(exc))
    typer.echo(f"created {item.name}")


@kb_app.command("rename")
def kb_rename(old: str, new: str) -> None:
    """Rename a knowledge base (its documents stay)."""
    try:
        item = _kbs().rename(old, new)
    except AssistantError as exc:
        fail(str(exc))
    typer.echo(f"renamed {old} to {item.name}")


@kb_app.command("delete")
def kb_delete(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete a knowledge base and every document in it."""
    kbs = _kbs()
    try:
        count = kbs.get(name).documents
        if not yes and not typer.confirm(f"delete {name} and its {count} documents?"):
            raise typer.Exit(1)
        kbs.delete(name)
    except AssistantError as exc:
        fail(str(exc))
    typer.echo(f"deleted {name} ({count} documents)")


def main() -> None:  # pragma: no cover - the console script entry point
    from assistant.redact import install_log_filter

    install_log_filter()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
