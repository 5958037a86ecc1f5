"""Clean scraped text: normalise, drop boilerplate, join broken lines, drop repeats.

The seeds show what real scraped Chinese news needs: platform boilerplate
(打开网易新闻 查看精彩图片, disclaimers, unrelated headlines after the footer), image
captions, lines broken in the middle of words (004 breaks every few characters),
paragraphs repeated (002 ends with one paragraph three times), and a mix of
full- and half-width forms. The output is paragraphs separated by blank lines;
chunk offsets point into it, so it is also what the UI shows as the document.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from assistant.schema import SourceDocument

# A line ending in one of these closes a sentence (after NFKC: ？→? ！→! ；→;).
TERMINAL = "。!?;…”」』\"')]"
STRICT_TERMINAL = "。!?;…"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BYLINE_END = re.compile(r"[:\-]\s*[\d,]+$")
_DATE_START = re.compile(r"\d{1,4}\s*[年月日号]|\d{1,2}:\d")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")

# Lines that are boilerplate wherever they appear.
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^打开.{0,8}(新闻|APP|客户端).{0,4}查看(精彩)?(图片|视频|全文)$",
        r"^(点击|长按|扫码|扫描).{0,20}(关注|二维码|阅读原文|订阅|下载)",
        r"^(图|圖)\s*\d+[\s:.、]",
        r"^[(]?[^()]{0,30}(供图|摄|图片来源[^()]*)[)]?$",
        r"^-?\s*\d{4}年的第\d+天\s*-?$",
        r"^.{0,8}(今日|明日|今天|明天)天气",
        r"^(责任编辑|编辑|校对|审核|排版|监制|出品)\s*[:|]",
        r"^(分享到|分享至|返回搜狐|查看更多|阅读原文|展开全文)",
        r"^【\s*(字体|字号)\s*[:]?\s*大\s*中\s*小",  # a page's font-size and print links
        r"^(上一篇|下一篇)\s*[:]",
        r"^(contact us|share|follow us)$",
        r"^[▶▼▲◀►◆■]",  # image captions marked with an arrow
        r"^.{2,40}现场。?$",  # "...研讨会现场。" photo captions
    )
]
# A line that starts the page footer; in the last part of a document, it and
# everything after it (related headlines, disclaimers) are dropped.
_FOOTER = re.compile(
    r"^(来源\s*[|:]|特别声明|免责声明|版权声明|notice: the content above|contact us|"
    r"相关阅读|相关新闻|推荐阅读|延伸阅读|往期回顾|猜你喜欢)",
    re.IGNORECASE,
)
_LEADING_NOISE = re.compile(
    r"^(导语|摘要|编者按)\s*[:]\s*|^(本报记者|记者|通讯员)\s*[\u4e00-\u9fff]{2,3}\s*"
)
_IMAGE_LINE = re.compile(r"^打开.{0,8}查看(精彩)?图片$")


def normalise(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to their plain forms), no zero-width marks."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _ZERO_WIDTH.sub("", text)


def clean_document(raw: str, source: str) -> SourceDocument:
    """The cleaned text of a document, its title and content hash."""
    lines = [ln.strip() for ln in _MD_IMAGE.sub("", normalise(raw)).split("\n")]
    lines = [re.sub(r"[ \t]+", " ", ln) for ln in lines if ln.strip()]
    lines = _drop_boilerplate(lines)
    paragraphs = _drop_repeats(_join_broken_lines(lines))
    text = "\n\n".join(paragraphs)
    return SourceDocument(
        source=source, title=_title(lines, source), text=text, content_hash=content_hash(text)
    )


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_cjk_text(text: str) -> bool:
    sample = text[:4000]
    return bool(sample) and len(_CJK.findall(sample)) > 0.3 * len(sample.replace(" ", ""))


def _drop_boilerplate(lines: list[str]) -> list[str]:
    cjk = is_cjk_text("".join(lines))
    kept: list[str] = []
    after_image = False
    for i, line in enumerate(lines):
        if _FOOTER.match(line) and i >= 0.6 * len(lines):
            break
        if _IMAGE_LINE.match(line):
            after_image = True
            continue
        caption = after_image and len(line) <= 30 and not line.endswith(tuple(TERMINAL))
        after_image = False
        next_is_credit = i + 1 < len(lines) and "供图" in lines[i + 1] and len(line) <= 20
        latin_noise = cjk and not _CJK.search(line) and len(line) <= 30 and len(line.split()) <= 3
        if caption or next_is_credit or latin_noise or any(p.search(line) for p in _BOILERPLATE):
            continue
        line = _LEADING_NOISE.sub("", line).strip()
        if line:
            kept.append(line)
    return kept


def _ends_sentence(line: str, strict: bool = False) -> bool:
    """Strict (for hard-wrapped text): only full stops count, not closing quotes."""
    return line.endswith(tuple(STRICT_TERMINAL if strict else TERMINAL))


def _hard_wrapped(lines: list[str]) -> bool:
    """Text broken every few characters (as 004): most lines short and open-ended."""
    if len(lines) < 10:
        return False
    open_ended = sum(not _ends_sentence(ln) for ln in lines) / len(lines)
    short = sorted(len(ln) for ln in lines)[len(lines) // 2] <= 40
    return open_ended > 0.6 and short


def _join_broken_lines(lines: list[str]) -> list[str]:
    wrapped = _hard_wrapped(lines)
    out: list[str] = []
    for line in lines:
        if out and not _ends_sentence(out[-1], wrapped) and (wrapped or _continues(out[-1], line)):
            out[-1] += line
        else:
            out.append(line)
    return out


def _continues(prev: str, line: str) -> bool:
    """Whether `line` continues the sentence `prev` was cut in (not a heading followed by text)."""
    if prev[-1] in ",、:(“‘《" or line[0] in ",。、:;!?)”’》":
        return True
    if prev[-1].isdigit() and line[0].isdigit():
        # a number cut in two ("停车位36|00个"), not a byline's time or count before the
        # text's first date ("浏览次数:2047|6月30日上午")
        return not (_BYLINE_END.search(prev) or _DATE_START.match(line))
    if not (_CJK.match(prev[-1]) and _CJK.match(line[0])):
        return False
    return _prose(prev) or _word_spans(prev[-4:], line[:4])


def _prose(text: str) -> bool:
    """Running text, not a heading, title or byline: a full stop inside it, or a comma in a
    long line (headings such as "对标“全球最佳”,勇攀高质量发展新征途" are short). Prose
    that stops without a full stop was cut mid-sentence ("上坪村党支部书记韦|立新说")."""
    return "。" in text or ("," in text and len(text) >= 40)


@lru_cache(maxsize=4096)
def _word_spans(left: str, right: str) -> bool:
    """A dictionary word that spans the break ("医护人|员") means the line was cut mid-word."""
    from assistant.text.segmentation import tokenize

    cut = len(left)
    return any(start < cut < end for _, start, end in tokenize(left + right))


def _drop_repeats(paragraphs: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for p in paragraphs:
        key = re.sub(r"\s+", "", p)
        if len(key) >= 8 and key in seen:
            continue
        seen.add(key)
        kept.append(p)
    return kept


_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)(?:\s+#+)?\s*$")


def _title(lines: list[str], source: str) -> str:
    """The first real line. A document that opens with a sentence instead of a title gets
    that sentence's first clause ("党的二十届三中全会指出…"), not the whole sentence."""
    if not lines:
        return source
    if source.lower().endswith((".md", ".markdown")):
        # A Markdown document's title is its first heading, without the #s around it.
        for line in lines:
            heading = _MD_HEADING.match(line)
            if heading and heading.group(1).strip():
                return _title([heading.group(1).strip()], source="")
    title = _MD_HEADING.sub(r"\1", lines[0]).strip(" -—")
    if len(title) > 30 and title.endswith(("。", ".", "!", "?", "”")):
        clause = re.split(r"[,，:：;；。]", title, maxsplit=1)[0]
        return clause[:40] + "…"
    return title if len(title) <= 60 else title[:40] + "…"
