"""The answer's lead: when a question asks for a value (a number, a date, a name), the
clause of the chosen sentence that states it comes first ("一期规划床位400张。[1]"), then
the sentence it comes from, so the reader sees what was asked before the context. Both
offline readers use it; the clause is a span of the source, cited like any quote.
"""

from __future__ import annotations

import re

from assistant.answering.learned import features

_CLAUSE = re.compile(r"[^,，;；:：。!?！？]+")
_ENDS = '。!?;…”’"」』)'


def lead_span(sentence: str, q: features.Question) -> tuple[int, int] | None:
    """Offsets in `sentence` of the clause that holds a value of the asked kind — other than
    the question's own years and numbers — and best matches what is asked about: the focus
    terms first (床位 in "多少张床位"), then the weighted terms; the shortest on a tie. None
    when the question asks for no value, or the clause would be most of the sentence."""
    best, key = None, None
    for m in _CLAUSE.finditer(sentence):
        clause = m.group(0).strip()
        rest = clause
        for c in q.constraints:
            rest = rest.replace(c, "")
        if not clause or not any(features.has_value(k, rest) for k in q.asks):
            continue
        k = (
            sum(f in clause for f in q.focus),
            sum(w for t, w in q.weights.items() if t in clause),
            -len(clause),
        )
        if key is None or k > key:
            start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
            best, key = (start, start + len(clause)), k
    if best and best[1] - best[0] < len(sentence.rstrip("。!?;…")) * 0.9:
        return best
    return None


def cited(text: str, n: int, chinese: bool) -> str:
    """A quote with its source number, closed with a full stop when it is a clause."""
    if text[-1:] in _ENDS:
        return f"{text}[{n}]"
    return f"{text}{'。' if chinese else '.'}[{n}]"
