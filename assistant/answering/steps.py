"""The steps of a question, as plain functions over a `Turn`; `assistant.langchain` composes
them into the LCEL chain:

    condense ─ retrieve ─ answer ─ verify ─ Answer

This module imports no LangChain: each step is a small function the chain wraps in a
named Runnable, and the tests call them directly.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.answering import inputs as checks
from assistant.answering import prompts, safety
from assistant.answering.citations import verify
from assistant.answering.followup import Query, expand
from assistant.answering.reader import Draft, make_reader
from assistant.errors import AssistantError, ModelError
from assistant.knowledge import KnowledgeBase
from assistant.schema import Answer, Citation, Claim, Retrieved
from assistant.settings import Settings
from assistant.text.segmentation import is_chinese

# What the answer prompt tells the model to output, and nothing else, when the sources do
# not hold the answer. A plain token works with any OpenAI-compatible server and any small
# model, streamed; the chain holds back the first characters until it knows whether the
# reply is this token (then the turn is a refusal) or an answer (then they are shown).
NO_ANSWER = "NO_ANSWER"
_NO_ANSWER = re.compile(r"^\W*NO_ANSWER\b")


@dataclass
class Turn:
    """What flows through the chain for one question."""

    question: str
    history: list[str]
    lang: str
    query: Query  # the standalone question (offline expansion, or the LLM's rewrite)
    started: float = field(default_factory=time.perf_counter)
    retrieved: list[Retrieved] = field(default_factory=list)
    draft: Draft | None = None
    mode: str = "extractive"
    notice: str | None = None
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Steps:
    """The steps of the chain, bound to one knowledge base and its settings."""

    def __init__(self, kb: KnowledgeBase, settings: Settings, model_name: str | None) -> None:
        self.kb = kb
        self.settings = settings
        self.model_name = model_name
        self.extractive = make_reader(settings.answer)

    def start(self, inputs: dict[str, Any]) -> Turn:
        """The question checked, and expanded offline with its history when it is a follow-up."""
        question = checks.clean_question(inputs.get("question"), self.settings.answer)
        history = checks.clean_history(inputs.get("history"), self.settings.answer)
        return Turn(
            question=question,
            history=history,
            lang="zh" if is_chinese(question) else "en",
            query=expand(question, history, self.kb.knows),
        )

    def rehearse(self, question: str) -> None:
        """`question` through the offline steps, its answer dropped, so that what a first
        question loads is loaded now: the BM25 index, the e5 engine's and Chroma's first
        search, the reader's and the gates' models, the cross reader composed. No chat
        model is called and nothing is recorded."""
        turn = self.start({"question": question, "history": []})
        turn.retrieved = self.kb.search.retrieve(turn.query.standalone)
        self.extract(turn)

    def check_index(self) -> None:
        if self.kb.is_empty():
            raise AssistantError("the index holds no documents: run `assistant ingest PATH` first")

    def gate(self, turn: Turn) -> bool:
        """Whether the question may be answered from the index at all: a question with no
        word the index knows (only symbols, markup, code or another script) is refused
        before retrieval, with a warning saying why."""
        if checks.answerable_terms(turn.query.standalone, self.kb.knows):
            return True
        turn.warnings.append(
            "问题中没有资料里出现过的词语（只有符号、标记、代码或资料未使用的语言）"
            if turn.lang == "zh"
            else "no word of the question occurs in the documents (only symbols, markup, "
            "code or a language they do not use)"
        )
        return False

    def refusal(self, turn: Turn) -> str:
        """The refusal text, naming the closest sources."""
        seen = list(dict.fromkeys(r.chunk.title for r in turn.retrieved[:3]))
        quote = ("《{}》" if turn.lang == "zh" else '"{}"').format
        sep = "、" if turn.lang == "zh" else ", "
        return prompts.render_text("refusal", turn.lang, topics=sep.join(quote(t) for t in seen))

    def extract(self, turn: Turn) -> Draft:
        """The offline answer: quoted sentences, or a refusal."""
        return self.extractive.answer(
            turn.query, turn.retrieved, self.kb.corpus(), self.refusal(turn)
        )

    def answer_values(self, turn: Turn) -> dict[str, Any]:
        """The variables of the answer prompt."""
        sources = [
            {
                "n": i + 1,
                "title": r.chunk.title,
                "source": r.chunk.source,
                "text": safety.as_data(r.chunk.text),  # sources are data, never instructions
            }
            for i, r in enumerate(turn.retrieved)
        ]
        values = {"sources": sources, "question": turn.query.asked, "no_answer": NO_ANSWER}
        return prompts.check("answer", turn.lang, values)

    def condense_values(self, turn: Turn) -> dict[str, Any]:
        values = {"history": turn.query.history, "question": turn.question}
        return prompts.check("condense", turn.lang, values)

    def verify(self, turn: Turn) -> Answer:
        """The draft's citations checked against the sources: the final `Answer`."""
        t_verify = time.perf_counter()
        draft = turn.draft
        if draft is None:
            raise AssistantError("the answer step produced no draft")
        if draft.refused:
            text, citations, claims = draft.text, list[Citation](), list[Claim]()
        else:
            text, citations, claims = verify(
                draft.text, turn.retrieved, draft.picked, self.kb.similarity()
            )
        now = time.perf_counter()
        turn.timings.update(verify=(now - t_verify) * 1000, total=(now - turn.started) * 1000)
        return Answer(
            question=turn.question,
            standalone_question=turn.query.asked,
            answer=text,
            refused=draft.refused,
            answerability=draft.answerability,
            mode=turn.mode,
            model=self.model_name if turn.mode == "llm" else None,
            notice=turn.notice,
            citations=citations,
            claims=claims,
            retrieved=turn.retrieved,
            warnings=turn.warnings
            + ([] if draft.refused else safety.answer_warnings(turn.question, text, citations)),
            timings_ms=turn.timings,
        )


class NoAnswerGate:
    """Streams a model's reply, holding back its start until it is known not to be NO_ANSWER."""

    def __init__(self) -> None:
        self.text = ""
        self.decided = False
        self.refused = False

    def feed(self, piece: str) -> Iterator[str]:
        self.text += piece
        if self.decided:
            if not self.refused:
                yield piece
            return
        head = self.text.lstrip()
        if _NO_ANSWER.match(head):
            self.decided = self.refused = True
        elif not NO_ANSWER.startswith(re.sub(r"^\W+", "", head)[: len(NO_ANSWER)]):
            self.decided = True
            yield self.text

    def close(self) -> Iterator[str]:
        """What is still held back at the end of the reply."""
        if not self.decided:
            self.decided = True
            self.refused = bool(_NO_ANSWER.match(self.text.lstrip()))
            if not self.refused:
                yield self.text


def fallback_notice(error: ModelError, lang: str) -> str:
    if lang == "zh":
        return f"大模型调用失败，已改用离线摘录模式回答：{error}"
    return f"The LLM call failed, so this answer quotes the sources offline: {error}"


def pieces(text: str) -> Iterator[str]:
    """Stream an extractive answer a citation at a time."""
    start = 0
    for i, ch in enumerate(text):
        if ch == "]":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]
