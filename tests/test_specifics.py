"""What a question asks beyond the kind of value: a day, several things, a name."""

from __future__ import annotations

import pytest

from assistant.answering import specifics


def test_a_day_is_asked_by_its_own_question_words():
    assert specifics.parse("大会是5月几号开的？").day
    assert specifics.parse("On what date did the hospital open?").day
    assert not specifics.parse("大会是几月开的？").day  # a month is enough
    assert not specifics.parse("什么时候开工？").day


def test_a_month_does_not_answer_a_day():
    wanted = specifics.parse("大会是5月几号开的？")
    month = "今年5月,无锡举办了卫生健康高质量发展大会。"
    day = "5月18日,无锡举办了卫生健康高质量发展大会。"
    assert specifics.missing(wanted, month, "大会是5月几号开的？")[0] == 1.0
    assert specifics.missing(wanted, day, "大会是5月几号开的？")[0] == 0.0


def test_several_things_need_an_enumeration():
    question = "入驻平台的28家企业都有哪些？"
    wanted = specifics.parse(question)
    assert wanted.several
    assert specifics.missing(wanted, "平台吸引了28家生物医药类企业入驻。", question)[1] == 1.0
    listed = "入驻企业包括联影医疗、微创医疗、迈瑞医疗等28家企业。"
    assert specifics.missing(wanted, listed, question)[1] == 0.0
    # "分别" asks each of the parts the question names, not a list
    assert not specifics.parse("一期和二期分别规划多少张床位？").several


@pytest.mark.parametrize(
    "sentence",
    [
        "石埠镇卫生院院长陶春生说,今年门诊量增长了两成。",  # a name the tagger misses
        "汀岚县人民医院院长欧阳砚告诉记者,医院编制床位980张。",
        "该项目由苏州国科美润达医疗技术有限公司承建。",  # an organisation by its ending
    ],
)
def test_a_name_the_question_lacks_answers_who_or_which(sentence):
    question = "负责这件事的是谁？" if "院长" in sentence else "哪家公司负责这件事？"
    assert specifics.missing(specifics.parse(question), sentence, question)[2] == 0.0


def test_a_title_without_a_name_does_not_answer_who():
    question = "介绍内窥镜系统的负责人叫什么名字？"
    wanted = specifics.parse(question)
    assert wanted.name
    sentence = (
        "“超清4K内窥镜影像系统,可以帮助医生更精确地判断病灶。”苏州国科美润达相关负责人介绍道。"
    )
    # the company is named, but the question already names it: no new name
    assert specifics.missing(wanted, sentence, "国科美润达的负责人叫什么名字？")[2] == 1.0
    assert specifics.missing(wanted, "上海派出顶尖骨科专家团队。", question)[2] == 1.0


def test_nothing_specific_asked_is_never_missing():
    question = "一期规划多少张床位？"
    wanted = specifics.parse(question)
    assert (wanted.day, wanted.several, wanted.name) == (False, False, None)
    assert specifics.missing(wanted, "天气晴。", question) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "sentence",
    [
        "投产当天,远航动力与澳大利亚一家电力公司签订了供货协议。",  # 一家 电力: no name
        "该项目在上海市颁布的转化新政支持下,并已合资成立项目公司。",  # 合资成立项目
        "基地与两家通用航空公司签约,常驻医疗救援直升机3架。",
    ],
)
def test_a_company_referred_to_without_its_name_does_not_answer_which(sentence):
    question = "签约的是哪家公司？"
    assert specifics.missing(specifics.parse(question), sentence, question)[2] == 1.0


def test_an_organisation_is_named_by_a_proper_noun_before_its_ending():
    question = "合作社和哪家公司签了收购协议？"
    sentence = "在销售端,合作社与伊川乳业公司签订了保底收购协议。"
    assert specifics.missing(specifics.parse(question), sentence, question)[2] == 0.0


def test_a_place_answers_a_name_asked_but_not_an_organisation_asked():
    sentence = "这批设备全部来自澳大利亚。"
    assert ("澳大利亚", "place") in specifics.names(sentence)
    for question, missing in (("设备是哪家公司生产的？", 1.0), ("设备产地叫什么名字？", 0.0)):
        assert specifics.missing(specifics.parse(question), sentence, question)[2] == missing
