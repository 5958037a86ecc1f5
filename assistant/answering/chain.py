"""The assistant: a knowledge base and the LCEL chain that answers from it.

    Assistant ─ KnowledgeBase (ingest, sources, forget, document; the hybrid search)
              └ build_chain(): condense ─ retrieve ─ answer ─ verify ─ Answer

`Assistant` is the facade the CLI, the UI and the evals use. Its questions go through
the chain of `assistant.langchain` in every mode (offline, the extractive reader is the
answer step; with a chat model, the model writes the answer). The chain is built on the
first question, so the knowledge-base commands never import LangChain's runnables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answering.llm import make_chat_model
from assistant.answering.retrieval import Search
from assistant.index.store import DocRecord, Store
from assistant.ingest.pipeline import FileResult, IngestReport
from assistant.knowledge import KnowledgeBase
from assistant.schema import Answer, SourceDocument
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from assistant.langchain import AnswerChain


# The questions `Assistant.warm_up` rehearses: one per gate (Chinese, other languages).
REHEARSED = ("这些资料介绍了哪些医院项目？", "Which projects do the documents describe?")


class Assistant:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        embeddings: Embeddings,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self.knowledge = KnowledgeBase(settings, store, embeddings)
        self.chat_model = chat_model
        self._chain: AnswerChain | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Assistant:
        settings = settings or Settings()
        kb = KnowledgeBase.from_settings(settings)
        chat_model = make_chat_model(settings.llm) if settings.use_llm else None
        return cls(settings, kb.store, kb.embeddings, chat_model)

    # --- the knowledge base --------------------------------------------------------
    @property
    def store(self) -> Store:
        return self.knowledge.store

    @property
    def embeddings(self) -> Embeddings:
        return self.knowledge.embeddings

    @property
    def retriever(self) -> Search:
        """The hybrid search (`assistant.langchain.HybridRetriever` wraps it for LangChain)."""
        return self.knowledge.search

    @retriever.setter
    def retriever(self, search: Search) -> None:
        self.knowledge.search = search
        self._chain = None

    def ingest(
        self,
        paths: Iterable[Path],
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: Callable[..., None] | None = None,
    ) -> IngestReport:
        return self.knowledge.ingest(paths, on_file, on_progress)

    def sources(self) -> list[DocRecord]:
        return self.knowledge.sources()

    def forget(self, source: str) -> bool:
        return self.knowledge.forget(source)

    def document(self, source: str) -> SourceDocument | None:
        return self.knowledge.document(source)

    @property
    def mode(self) -> str:
        return "llm" if self.chat_model is not None else "extractive"

    @property
    def model_name(self) -> str | None:
        return self.settings.llm.model if self.chat_model is not None else None

    # --- asking --------------------------------------------------------------------
    @property
    def chain(self) -> AnswerChain:
        """The LCEL chain over this assistant (built once, on first use)."""
        if self._chain is None:
            from assistant.langchain import build_chain

            self._chain = build_chain(self)
        return self._chain

    def warm_up(self) -> None:
        """Load before the first question what it would otherwise wait for (seconds, in a
        fresh process: evals/README.md, round twenty-two): LangChain's runnables and the
        chain, and one Chinese and one English question rehearsed offline (`Steps.rehearse`:
        the BM25 index, the first searches, the reader's models). The chat runs it in the
        background at start-up. On an empty index, the chain only."""
        from assistant.answering.steps import Steps

        _ = self.chain  # LangChain's runnables imported, the chain built
        if self.knowledge.is_empty():
            return
        steps = Steps(self.knowledge, self.settings, None)
        for question in REHEARSED:
            steps.rehearse(question)

    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        return self.chain.invoke({"question": question, "history": list(history or [])})

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the verified `Answer`."""
        return self.chain.stream({"question": question, "history": list(history or [])})


__all__ = ["Assistant", "FileResult"]
