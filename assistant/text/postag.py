"""Part-of-speech tags exactly as `jieba.posseg` gives them, without importing it.

Importing `jieba.posseg` parses the word tags of jieba's whole dictionary (0.18 s of every
cold question). This is the same algorithm as `jieba.posseg.POSTokenizer.cut` (jieba
0.42.1, MIT licence): the words of `Tokenizer.get_DAG`/`calc`'s best route, a dictionary
word tagged from the dictionary, a run of characters the dictionary does not know cut and
tagged by posseg's HMM (its Viterbi over its own tables). The tags come from
`assistant.text.dictionary`, looked up word by word. tests/test_postag.py checks it gives
jieba.posseg's output on every sentence of the seeds and every question of the evals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from assistant.text.dictionary import Tokenizer, hmm_model, word_tags

# jieba.posseg's own patterns
_HAN_DETAIL = re.compile("([\u4e00-\u9fd5]+)")
_SKIP_DETAIL = re.compile(r"([\.0-9]+|[a-zA-Z0-9]+)")
_HAN_INTERNAL = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._]+)")
_SKIP_INTERNAL = re.compile("(\r\n|\\s)")
_ENG = re.compile("[a-zA-Z0-9]+")
_NUM = re.compile(r"[\.0-9]+")
_ENG1 = re.compile("^[a-zA-Z0-9]$", re.U)

_MIN_FLOAT = -3.14e100
_MIN_INF = float("-inf")

Pair = tuple[str, str]


def cut(tokenizer: Tokenizer, sentence: str, hmm: bool = True) -> list[Pair]:
    """(word, tag) of `sentence`, as `jieba.posseg.POSTokenizer(tokenizer).lcut(sentence, HMM=hmm)`."""
    out: list[Pair] = []
    for blk in _HAN_INTERNAL.split(sentence):
        if _HAN_INTERNAL.match(blk):
            out.extend(_cut_dag(tokenizer, blk) if hmm else _cut_dag_no_hmm(tokenizer, blk))
            continue
        for x in _SKIP_INTERNAL.split(blk):
            if _SKIP_INTERNAL.match(x):
                out.append((x, "x"))
                continue
            for xx in x:
                if _NUM.match(xx):
                    out.append((xx, "m"))
                elif _ENG.match(x):  # sic: jieba tests the whole run here
                    out.append((xx, "eng"))
                else:
                    out.append((xx, "x"))
    return out


def _route(tokenizer: Tokenizer, sentence: str) -> dict[int, tuple[float, int]]:
    dag = tokenizer.get_DAG(sentence)
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(sentence, dag, route)
    return route


def _cut_dag_no_hmm(tokenizer: Tokenizer, sentence: str) -> Iterator[Pair]:
    tags = word_tags()
    route = _route(tokenizer, sentence)
    x, n, buf = 0, len(sentence), ""
    while x < n:
        y = route[x][1] + 1
        word = sentence[x:y]
        if _ENG1.match(word):
            buf += word
        else:
            if buf:
                yield (buf, "eng")
                buf = ""
            yield (word, tags.get(word, "x"))
        x = y
    if buf:
        yield (buf, "eng")


def _cut_dag(tokenizer: Tokenizer, sentence: str) -> Iterator[Pair]:
    tags = word_tags()
    route = _route(tokenizer, sentence)
    x, n, buf = 0, len(sentence), ""
    while x < n:
        y = route[x][1] + 1
        word = sentence[x:y]
        if y - x == 1:
            buf += word
        else:
            if buf:
                yield from _flush(tokenizer, buf)
                buf = ""
            yield (word, tags.get(word, "x"))
        x = y
    if buf:
        yield from _flush(tokenizer, buf)


def _flush(tokenizer: Tokenizer, buf: str) -> Iterator[Pair]:
    """A run of single characters: one character, a run the HMM cuts, or a dictionary word
    whose characters the route kept apart."""
    tags = word_tags()
    if len(buf) == 1:
        yield (buf, tags.get(buf, "x"))
    elif not tokenizer.FREQ.get(buf):
        yield from _cut_detail(buf)
    else:
        for ch in buf:
            yield (ch, tags.get(ch, "x"))


def _cut_detail(sentence: str) -> Iterator[Pair]:
    for blk in _HAN_DETAIL.split(sentence):
        if _HAN_DETAIL.match(blk):
            yield from _cut_hmm(blk)
            continue
        for x in _SKIP_DETAIL.split(blk):
            if x:
                if _NUM.match(x):
                    yield (x, "m")
                elif _ENG.match(x):
                    yield (x, "eng")
                else:
                    yield (x, "x")


def _cut_hmm(sentence: str) -> Iterator[Pair]:
    _, pos_list = _viterbi(sentence, *hmm_model())
    begin, nexti = 0, 0
    for i, char in enumerate(sentence):
        pos = pos_list[i][0]
        if pos == "B":
            begin = i
        elif pos == "E":
            yield (sentence[begin : i + 1], pos_list[i][1])
            nexti = i + 1
        elif pos == "S":
            yield (char, pos_list[i][1])
            nexti = i + 1
    if nexti < len(sentence):
        yield (sentence[nexti:], pos_list[nexti][1])


def _viterbi(obs: str, states: Any, start_p: Any, trans_p: Any, emit_p: Any) -> tuple[float, list]:
    """jieba.posseg.viterbi.viterbi, line for line."""
    v: list[dict] = [{}]
    mem_path: list[dict] = [{}]
    all_states = trans_p.keys()
    for y in states.get(obs[0], all_states):
        v[0][y] = start_p[y] + emit_p[y].get(obs[0], _MIN_FLOAT)
        mem_path[0][y] = ""
    for t in range(1, len(obs)):
        v.append({})
        mem_path.append({})
        prev_states = [x for x in mem_path[t - 1] if len(trans_p[x]) > 0]
        prev_states_expect_next = {y for x in prev_states for y in trans_p[x]}
        obs_states = set(states.get(obs[t], all_states)) & prev_states_expect_next
        if not obs_states:
            obs_states = prev_states_expect_next if prev_states_expect_next else all_states
        for y in obs_states:
            prob, state = max(
                (
                    v[t - 1][y0] + trans_p[y0].get(y, _MIN_INF) + emit_p[y].get(obs[t], _MIN_FLOAT),
                    y0,
                )
                for y0 in prev_states
            )
            v[t][y] = prob
            mem_path[t][y] = state
    prob, state = max((v[-1][y], y) for y in mem_path[-1])
    route: list = [None] * len(obs)
    i = len(obs) - 1
    while i >= 0:
        route[i] = state
        state = mem_path[i][state]
        i -= 1
    return prob, route
