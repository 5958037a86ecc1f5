"""Cleaning scraped Chinese news: boilerplate, broken lines, repeats, width forms, title."""

from __future__ import annotations

import re

import pytest
from conftest import SEEDS

from assistant.ingest.cleaning import clean_document, content_hash, normalise
from assistant.ingest.loading import load_text

BODY = [
    "瑞金医院金山院区将按照三级甲等综合医院标准建设，占地面积共228亩。",
    "项目从立项到开工仅用时182天，一期规划床位400张，二期规划床位800张。",
    "医院还将建设多个临床研究中心，服务长三角南翼的患者。",
    "院区建成后将进一步提升上海西南地区的医疗服务能力。",
    "这是一个完整的段落，用来让文档有足够的长度和正文。",
]


def clean(text: str):
    return clean_document(text, "stub.txt")


def test_platform_boilerplate_lines_dropped():
    doc = clean("\n".join(["金山院区开工", "打开网易新闻 查看精彩图片", *BODY]))
    assert "网易" not in doc.text
    assert "查看精彩图片" not in doc.text
    assert BODY[0].replace("，", ",") in doc.text


def test_figure_caption_dropped():
    doc = clean(
        "\n".join(
            ["金山院区开工", BODY[0], "图1 赵任教授远程机器人手术操作及远程沟通画面", *BODY[1:]]
        )
    )
    assert "赵任教授" not in doc.text
    assert "图1" not in doc.text


def test_footer_and_everything_after_it_dropped_near_the_end():
    tail = [
        "Contact us",
        "开盘即涨停!海尔入主嘉定南翔的机器人龙头!",
        "特别声明:以上内容为自媒体平台用户上传并发布,本平台仅提供信息存储服务。",
        "嘉定或超5万人涌入!梦龙世界巡回演唱会来了!",
    ]
    doc = clean("\n".join(["金山院区开工", *BODY, *tail]))
    for junk in ("Contact us", "特别声明", "海尔", "梦龙"):
        assert junk not in doc.text
    assert "服务能力" in doc.text


def test_footer_phrase_early_in_the_text_does_not_cut_the_document():
    doc = clean("\n".join(["金山院区开工", "特别声明:本文为转载。", *BODY]))
    assert "服务能力" in doc.text


def test_repeated_paragraph_kept_once():
    repeated = "瑞金医院正在努力实现国人大病不出国的目标,为更多患者服务。"
    doc = clean("\n".join(["金山院区开工", *BODY, repeated, repeated, repeated]))
    assert doc.text.count(repeated) == 1


def test_short_repeated_lines_are_kept():
    doc = clean("\n".join(["金山院区开工", "一、", BODY[0], "一、", BODY[1]]))
    assert doc.text.count(BODY[0].replace("，", ",")) == 1


def test_hard_wrapped_text_joined():
    sentence = (
        "合作交流是连接城市之间的桥梁和纽带,城市合作做得越好,越能实现互惠共赢,"
        "也能为城市之间保持良性互动提供有力支撑。"
    )
    lines = [sentence[i : i + 9] for i in range(0, len(sentence), 9)] * 1
    more = (
        "东北亚医学中心高质量发展交流座谈会在长春东北亚国际会议中心举办,国内医疗领域专家学者参加。"
    )
    lines += [more[i : i + 9] for i in range(0, len(more), 9)]
    doc = clean("\n".join(["以医为桥 向新而行", *lines]))
    assert sentence in doc.text
    assert more in doc.text


def test_line_cut_mid_word_is_joined():
    doc = clean("\n".join(["金山院区开工", "这次活动共有医护人", "员参加了义诊服务。", *BODY]))
    assert "这次活动共有医护人员参加了义诊服务。" in doc.text


def test_heading_followed_by_text_is_not_joined():
    doc = clean("\n".join(["金山院区开工", "引领创新发展", BODY[0], *BODY[1:]]))
    assert "引领创新发展\n\n" in doc.text


@pytest.mark.parametrize(
    ("first", "second", "joined"),
    [
        # a number cut in two
        (
            "为方便市民出行，奥体中心周边规划建设停车位36",
            "00个，地铁5号线将在西侧设站。",
            "停车位3600个",
        ),
        ("一期住院综合楼地上19层，建筑高度约8", "2.5米，是县城北部的最高建筑。", "约82.5米"),
        # prose (a full stop inside it) cut in the middle of a name no dictionary holds
        ("收入达到86万元。上坪村党支部书记韦", "立新说，村里修了产业路。", "书记韦立新说"),
        # a long line with commas cut between two words
        (
            "体育场建成后，周边全民健身公园内的11片笼式足球场、16片篮球场，以及长约3公里的环形健身",
            "步道将每周二至周日免费向市民开放。",
            "环形健身步道",
        ),
    ],
)
def test_prose_cut_mid_sentence_is_joined(first, second, joined):
    doc = clean("\n".join(["奥体中心通过验收", first, second, *BODY]))
    assert joined in doc.text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # a byline's count or time, then the text's first date
        ("来源:澜江发布 浏览次数:2047", "6月30日上午，随着最后一方混凝土浇筑完成，主体封顶。"),
        ("发布时间:2026年9月24日 07:30", "9月23日，云泽医学研究院揭牌。"),
        # a short heading with a comma (seed 002's section headings)
        ("对标“全球最佳”，勇攀高质量发展新征途", "生命健康是四个面向的重点。"),
    ],
)
def test_byline_or_heading_before_text_is_not_joined(first, second):
    doc = clean("\n".join(["院区主体封顶", first, second, *BODY]))
    paragraphs = doc.text.split("\n\n")
    assert normalise(first) in paragraphs and normalise(second) in paragraphs


def test_page_chrome_lines_dropped():
    chrome = [
        "【字体:大 中 小】 【打印本页】 【关闭窗口】",
        "【字号 大 中 小】【打印】",
        "上一篇:我校获佳绩",
    ]
    doc = clean("\n".join(["实验室揭牌成立", chrome[0], *BODY, chrome[1], *BODY[:2], chrome[2]]))
    assert "大 中 小" not in doc.text and "上一篇" not in doc.text
    assert normalise(BODY[-1]) in doc.text


def test_full_width_forms_normalised():
    doc = clean(
        "ＡＩ医院\n" + "一期规划床位４００张，面积２２８亩（ＡＢＣ）。" + "\n" + "\n".join(BODY)
    )
    assert "400张" in doc.text
    assert "228亩" in doc.text
    assert "(ABC)" in doc.text
    assert "４" not in doc.text and "Ａ" not in doc.text
    assert normalise("ＡＢＣ１２３，") == "ABC123,"


def test_zero_width_marks_removed():
    assert normalise("瑞\u200b金\ufeff医院") == "瑞金医院"


def test_title_is_first_real_line():
    doc = clean(
        "\n\n  \n- 2025年的第49天 -\n嘉定明日天气 多云 5℃-10℃\n金山院区开工建设\n" + "\n".join(BODY)
    )
    assert doc.title == "金山院区开工建设"


def test_long_first_line_title_is_shortened():
    doc = clean("".join(BODY) + "\n" + BODY[0])
    assert len(doc.title) <= 41 and doc.title.endswith("…")


def test_paragraphs_separated_by_blank_lines_and_hash():
    doc = clean("\n".join(["金山院区开工", *BODY]))
    assert "\n\n" in doc.text
    assert "\n\n\n" not in doc.text
    assert doc.content_hash == content_hash(doc.text)
    assert clean("\n".join(["金山院区开工", *BODY])).content_hash == doc.content_hash


# --- the real seeds --------------------------------------------------------------------


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return clean_document(load_text(path), path.name)


def test_seed_002_repeated_paragraph_once():
    raw = load_text(next(SEEDS.glob("002_*.txt")))
    paragraphs = [p.strip() for p in raw.split("\n") if len(p.strip()) > 30]
    repeated = {p for p in paragraphs if paragraphs.count(p) > 1}
    assert repeated, "the seed is expected to repeat a paragraph"
    doc = seed("002")
    for p in repeated:
        key = normalise(p)
        assert doc.text.count(key) == 1, key[:30]


def test_seed_003_footer_and_unrelated_headlines_gone():
    doc = seed("003")
    for junk in ("Contact us", "特别声明", "海尔", "梦龙", "Notice:", "明日天气", "图1"):
        assert junk not in doc.text, junk
    assert "械谷" in doc.text


def test_seed_004_broken_lines_joined():
    doc = seed("004")
    lines = [ln for ln in doc.text.split("\n") if ln.strip()]
    broken = [ln for ln in lines if len(ln) < 8 and not re.search(r"[。!?;…”」』\"')\]]$", ln)]
    assert not broken, broken[:10]
    assert "大道同行,和合共生。" in doc.text


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_seed_has_title_and_no_platform_boilerplate(prefix):
    doc = seed(prefix)
    assert doc.title and len(doc.title) <= 60
    assert "查看精彩图片" not in doc.text
    assert len(doc.text) > 1000


def test_a_document_opening_with_a_sentence_is_titled_by_its_first_clause():
    doc = clean_document(
        "党的二十届三中全会指出,“要健全因地制宜发展新质生产力体制机制,健全促进实体经济和数字经济深度融合制度”。\n\n正文。",
        "a.txt",
    )
    assert doc.title == "党的二十届三中全会指出…"
