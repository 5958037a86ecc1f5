"""The Assistant: input checks, the empty index, and the LLM path against a fake server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fakes.openai_server import Reply

from assistant.errors import AssistantError, InputError
from assistant.schema import Answer
from assistant.text.segmentation import is_chinese

Q = "瑞金医院金山院区一期规划多少张床位？"
SEED_002 = "002_d8907abf42b39ccd.txt"
SCRIPTED = "金山院区一期规划床位400张,二期规划床位800张。[1]"


# --- input and state checks (fake embedder, no seeds) --------------------------------


@pytest.mark.parametrize("question", ["", "   \n\t"])
def test_empty_question_is_refused_clearly(fake_assistant, question):
    with pytest.raises(InputError, match="empty"):
        fake_assistant.ask(question)


def test_too_long_question_is_refused_clearly(fake_assistant):
    with pytest.raises(InputError) as info:
        fake_assistant.ask("问" * 2001)
    message = str(info.value)
    assert "2001" in message and "2000" in message and "ANSWER_MAX_QUESTION_CHARS" in message


def test_question_at_the_limit_is_accepted(fake_assistant, tmp_path):
    (tmp_path / "a.txt").write_text(
        "金山院区\n瑞金医院金山院区一期规划床位400张。", encoding="utf-8"
    )
    fake_assistant.ingest([tmp_path / "a.txt"])
    assert isinstance(fake_assistant.ask("问" * 2000), Answer)


def test_empty_index_gives_a_clear_error(fake_assistant):
    with pytest.raises(AssistantError, match="assistant ingest"):
        fake_assistant.ask(Q)


def test_ingest_sources_forget_document(fake_assistant, tmp_path):
    (tmp_path / "a.txt").write_text(
        "金山院区\n瑞金医院金山院区一期规划床位400张,二期规划床位800张。", encoding="utf-8"
    )
    assert fake_assistant.ingest([tmp_path / "a.txt"]).count("added") == 1
    assert [r.source for r in fake_assistant.sources()] == ["a.txt"]
    assert "400张" in fake_assistant.document("a.txt").text
    a = fake_assistant.ask("金山院区一期规划多少张床位？")
    assert "400张" in a.answer and a.mode == "extractive"
    assert fake_assistant.forget("a.txt") is True
    assert fake_assistant.forget("a.txt") is False
    with pytest.raises(AssistantError):
        fake_assistant.ask("金山院区一期规划多少张床位？")


def test_extractive_stream_yields_pieces_then_answer(seeded_assistant):
    items = list(seeded_assistant.stream(Q))
    assert isinstance(items[-1], Answer)
    pieces = items[:-1]
    assert len(pieces) >= 2 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == items[-1].answer
    assert set(items[-1].timings_ms) >= {"retrieve", "answer", "total"}


# --- the LLM path: the real openai client against tests/fakes/openai_server.py -----------


def test_llm_answer_with_verified_citation(llm_assistant, openai_server):
    openai_server.script(Reply(text=SCRIPTED))
    a = llm_assistant.ask(Q)
    assert a.mode == "llm" and a.model == "fake-model" and a.notice is None
    assert a.answer == SCRIPTED
    assert len(a.citations) == 1
    c = a.citations[0]
    assert c.n == 1 and c.source == SEED_002 and "400" in c.quote and c.supported
    assert c.text[c.start : c.end] == c.quote
    assert not a.unsupported_claims
    # the answer prompt carried the numbered sources and the question
    messages = openai_server.requests[-1]["messages"]
    assert messages[0]["role"] == "system"
    assert "[1]" in messages[-1]["content"] and Q in messages[-1]["content"]


def test_llm_invalid_marker_removed(llm_assistant, openai_server):
    openai_server.script(Reply(text="金山院区一期规划床位400张。[1][7]"))
    a = llm_assistant.ask(Q)
    assert a.mode == "llm"
    assert "[7]" not in a.answer and "[1]" in a.answer
    assert {c.n for c in a.citations} == {1}


def test_llm_made_up_number_flagged(llm_assistant, openai_server):
    openai_server.script(Reply(text="金山院区一期规划床位650张。[1]"))
    a = llm_assistant.ask(Q)
    assert a.mode == "llm"
    assert [c.text for c in a.unsupported_claims] == ["金山院区一期规划床位650张。"]
    assert a.to_json()["unsupported_claims"] == ["金山院区一期规划床位650张。"]


@pytest.mark.parametrize(
    "reply", ["NO_ANSWER", " **NO_ANSWER**.", "NO_ANSWER\n(the sources say nothing)"]
)
def test_llm_no_answer_token_becomes_a_refusal(llm_assistant, openai_server, reply):
    openai_server.script(Reply(text=reply, piece=2))
    items = list(llm_assistant.stream(Q))
    a = items[-1]
    assert a.refused and a.citations == [] and a.mode == "llm"
    assert a.answer.startswith("资料中没有找到这个问题的答案")
    assert "NO_ANSWER" not in "".join(items[:-1])  # the token is never shown


def test_an_answer_that_starts_like_the_token_is_kept(llm_assistant, openai_server):
    openai_server.script(Reply(text="NO. 金山院区一期规划床位400张。[1]", piece=1))
    a = llm_assistant.ask(Q)
    assert not a.refused and "400张" in a.answer


def test_off_topic_question_never_reaches_the_llm(llm_assistant, openai_server):
    a = llm_assistant.ask("北京今天的天气怎么样？")
    assert a.refused and openai_server.requests == []


@pytest.mark.parametrize(
    "reply, must_name",
    [
        (Reply(status=401), "OPENAI_API_KEY"),
        (Reply(status=429), "429"),
        (Reply(status=500), "500"),
        (Reply(delay=3), "LLM_TIMEOUT_S"),
        (Reply(text="金山院区", malformed=True), "malformed"),
    ],
    ids=["401", "429", "500", "timeout", "malformed"],
)
def test_llm_failure_falls_back_to_extractive_with_notice(
    llm_assistant, openai_server, reply, must_name
):
    openai_server.script(reply)
    a = llm_assistant.ask(Q)
    assert a.mode == "extractive" and a.model is None
    assert a.notice and must_name in a.notice
    assert "离线" in a.notice  # said in the question's language
    assert "400张" in a.answer and a.citations
    for c in a.citations:
        assert c.text[c.start : c.end] == c.quote


def test_english_question_gets_an_english_notice(llm_assistant, openai_server):
    openai_server.default = Reply(status=401)
    a = llm_assistant.ask("How many beds does phase one of the Ruijin Jinshan campus plan?")
    if not a.refused:
        assert a.notice.startswith("The LLM call failed")


def test_follow_up_is_condensed_by_the_llm(llm_assistant, openai_server):
    standalone = "瑞金医院金山院区二期规划多少张床位？"
    openai_server.script(Reply(text=standalone), Reply(text="金山院区二期规划床位800张。[1]"))
    a = llm_assistant.ask("那二期呢？", history=[Q])
    assert a.standalone_question == standalone
    condense = openai_server.requests[0]["messages"]
    assert "改写" in condense[0]["content"]  # the condense prompt's system message
    assert Q in condense[-1]["content"] and "那二期呢？" in condense[-1]["content"]
    answer_prompt = openai_server.requests[1]["messages"][-1]["content"]
    assert standalone in answer_prompt
    assert a.mode == "llm" and "800张" in a.answer and a.citations[0].supported


def test_condense_failure_keeps_offline_expansion(llm_assistant, openai_server):
    openai_server.script(Reply(status=500), Reply(text="金山院区二期规划床位800张。[1]"))
    a = llm_assistant.ask("那二期呢？", history=[Q])
    # the offline reading: the earlier question with the phase swapped
    assert a.standalone_question == "瑞金医院金山院区二期规划多少张床位？"
    assert a.notice and "500" in a.notice


def test_llm_stream_yields_pieces_then_answer(llm_assistant, openai_server):
    openai_server.script(Reply(text=SCRIPTED, piece=4))
    items = list(llm_assistant.stream(Q))
    pieces, final = items[:-1], items[-1]
    assert isinstance(final, Answer) and final.mode == "llm"
    assert len(pieces) >= 3 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == SCRIPTED


# --- warm-up: the first question's loading paid at start-up ------------------------------


def test_warm_up_loads_what_the_first_question_waits_for(seeded_assistant, monkeypatch):
    """The chain is built and a Chinese and an English question are rehearsed offline: the
    BM25 index built, the reader's models and the cross reader loaded. The chat's first
    question then pays none of it, and the rehearsal leaves no trace in what it answers."""
    from assistant.answering import chain as chain_module
    from assistant.answering.learned import cross
    from assistant.answering.retrieval import HybridSearch

    read: list[str] = []
    real = cross.load()

    class Counting(cross.CrossReader):
        def __init__(self) -> None:  # the real reader's scores, counted
            pass

        def scores(self, question: str, sentences: list[str]):
            read.extend(sentences)
            return real.scores(question, sentences)

    counting = Counting()
    monkeypatch.setattr(cross, "load", lambda: counting)
    built = []
    bm25 = HybridSearch.bm25
    monkeypatch.setattr(HybridSearch, "bm25", lambda self: built.append(1) or bm25(self))
    question = "瑞金医院金山院区一期规划多少张床位？"
    assert seeded_assistant._chain is None
    seeded_assistant.warm_up()
    assert seeded_assistant._chain is not None and built
    assert len(read) == 1  # the Chinese rehearsal read its best sentence; English none
    assert len(chain_module.REHEARSED) == 2
    assert {is_chinese(q) for q in chain_module.REHEARSED} == {True, False}
    answer = seeded_assistant.ask(question)
    assert "400张" in answer.answer and not answer.refused


def test_warm_up_on_an_empty_index_builds_the_chain_only(fake_assistant):
    fake_assistant.warm_up()  # nothing to rehearse on, nothing raised
    assert fake_assistant._chain is not None


def test_warm_up_never_calls_the_chat_model(seeded_settings, llm_env):
    """In LLM mode the rehearsal is offline: the model server receives nothing."""
    from assistant.answering.chain import Assistant
    from assistant.settings import Settings

    bot = Assistant.from_settings(Settings())
    assert bot.mode == "llm"
    bot.warm_up()
    assert llm_env.requests == []


def test_the_chat_warms_up_in_the_background_and_survives_a_failure(monkeypatch, caplog):
    from assistant.answering.chain import Assistant
    from assistant.ui import server

    class Broken(Assistant):
        def __init__(self) -> None:  # no index needed: its warm-up fails at once
            pass

        def warm_up(self) -> None:
            raise RuntimeError("the index is unreachable")

    with caplog.at_level("WARNING", logger="assistant.ui.server"):
        server.warm_up(Broken())
    assert "warm-up skipped: the index is unreachable" in caplog.text
    started = []
    monkeypatch.setattr(server, "check_port", lambda *a: None)
    monkeypatch.setattr(server, "configure_logging", lambda *a: None)
    monkeypatch.setattr(server, "install_log_filter", lambda *a: None)
    monkeypatch.setattr(Assistant, "from_settings", classmethod(lambda cls, s=None: Broken()))
    monkeypatch.setattr(server, "build_app", lambda assistant, settings: "blocks")
    monkeypatch.setattr(server, "serve", lambda blocks, *a: started.append(blocks))
    monkeypatch.setattr(
        server.threading,
        "Thread",
        lambda target, args, name, daemon: SimpleNamespace(
            start=lambda: started.append((target, name, daemon))
        ),
    )
    server.launch()
    assert started == [(server.warm_up, "warm-up", True), "blocks"]
