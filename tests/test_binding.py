"""Whether a sentence states the asked number or date in one clause with what is asked."""

from __future__ import annotations

from assistant.answering import binding


def flat(_term: str) -> float:
    return 1.0  # every term weighs the same: the shares are counts


def test_the_asks_are_the_clauses_asking_a_number_or_a_date():
    asked = binding.asks("新生儿重症监护室有多少张床位，大楼哪一年建成？负责人是谁？")
    assert [kinds for _, kinds in asked] == [["number"], ["date"]]
    assert "床位" in asked[0][0] and "建成" in asked[1][0]
    assert binding.asks("辽宁省人民医院的院长是谁？") == []
    assert binding.asks("how many beds are planned?") == [("how many beds are planned", ["number"])]


def test_a_value_counts_in_the_clause_that_names_what_is_asked():
    question = "新设立的新生儿重症监护室有多少张床位？"
    near_miss = "重症监护病房床位由24张增至48张，并单独设立新生儿重症监护室。"
    answer = "新设立的新生儿重症监护室设床位12张。"
    missed, found = binding.bound(question, near_miss, flat)
    held, found_too = binding.bound(question, answer, flat)
    assert found == found_too == 1.0  # both hold a number the question does not
    assert held > missed  # only one holds it beside 新生儿重症监护室


def test_the_questions_own_number_is_not_an_answer():
    question = "从城区老校选派的52名骨干教师里，有多少人去了城东实验小学？"
    assert binding.bound(question, "另从城区老校选派骨干教师52名到新校任教。", flat) == (0.0, 0.0)
    share, new = binding.bound(question, "其中20名骨干教师去了城东实验小学。", flat)
    assert new == 1.0 and share > 0.5


def test_a_sentence_without_a_value_of_the_kind_binds_nothing():
    assert binding.bound("医院哪一年建成？", "医院占地面积共228亩。", flat) == (0.0, 0.0)
    assert binding.bound("医院哪一年建成？", "医院于2019年建成。", flat)[1] == 1.0


def test_a_multi_part_question_is_as_bound_as_its_least_bound_part():
    question = "一期规划多少张床位，二期哪一年开工？"
    both = "一期规划床位400张，二期于2025年开工。"
    one = "一期规划床位400张。"
    assert binding.bound(question, both, flat) > binding.bound(question, one, flat)
    assert binding.bound(question, one, flat)[1] == 0.0


def test_nothing_asked_of_these_kinds_is_fully_bound():
    assert binding.bound("院长是谁？", "院长张三表示。", flat) == (1.0, 1.0)


def test_rarer_terms_weigh_more():
    question = "瑞金医院金山院区一期规划多少张床位？"
    sentence = "一期规划床位400张。"  # the chunk names the campus; this clause, the beds
    plain = binding.bound(question, sentence, flat)[0]
    beds = binding.bound(question, sentence, lambda t: 5.0 if t == "床位" else 1.0)[0]
    assert beds > plain


def test_a_year_asked_is_answered_by_a_year_not_a_day():
    question = "青川市第一人民医院是哪一年建院的？"
    assert binding.bound(question, "3月16日上午，青川市第一人民医院东院区启用。", flat)[1] == 0.0
    assert binding.bound(question, "青川市第一人民医院始建于1951年。", flat)[1] == 1.0
    # a date asked more broadly is answered by any date
    assert binding.bound("东院区什么时候启用？", "3月16日上午，东院区启用。", flat)[1] == 1.0


def test_a_count_asked_with_its_measure_word_is_answered_in_it_or_its_kin():
    floors = "东湖院区的科研教学楼有几层？"
    assert binding.bound(floors, "科研教学楼建筑面积2.6万平方米。", flat)[1] == 0.0
    assert binding.bound(floors, "科研教学楼地上12层。", flat)[1] == 1.0
    doctors = "医院有多少名医生？"
    assert binding.bound(doctors, "医院有医生860人。", flat)[1] == 1.0  # 人 counts as 名
    assert binding.bound(doctors, "医院现有编制床位2600张。", flat)[1] == 0.0
    # without a measure word, any number answers
    assert binding.bound("同比增长了多少？", "同比增长17.3%。", flat)[1] == 1.0


def test_question_words_ask_as_prefixes_and_particles_only_as_whole_terms():
    for asking in ("多少钱", "哪家", "几个", "那些", "有", "的", "是否"):
        assert binding.FUNCTION.match(asking), asking
    # a particle at the start of a word does not make the word a particle
    for content in ("有限公司", "在职", "和平", "及时", "的确", "共享", "约定", "个人"):
        assert not binding.FUNCTION.match(content), content
    asked = binding.parse("澄江城投有限公司投资了多少钱？", flat)
    assert "有限公司" in asked[0].weights and "多少钱" not in asked[0].weights
    counted = binding.parse("一共有多少名在职员工？", flat)
    assert set(counted[0].weights) >= {"在职", "员工"}
    assert not {"一共", "有"} & set(counted[0].weights)


def test_a_value_stated_for_another_phase_or_year_clashes():
    """ "二期哪年投入运营" against a sentence whose only year is 一期's: every clause holding a
    year names another phase than the one asked."""
    sentence = "一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
    asked = binding.parse("金山院区二期预计哪年投入运营？", flat)
    assert asked[0].constraints == ("二期",)
    assert binding.clash(asked, sentence) == 1.0
    assert binding.clash(binding.parse("金山院区一期预计哪年投入运营？", flat), sentence) == 0.0
    # a clause with the asked phase and the value does not clash
    both = "二期预计于2028年投入运营,一期预计于2026年投入运营。"
    assert binding.clash(asked, both) == 0.0
    # nothing to clash: no phase asked, or no clause with a value of the kind
    assert binding.clash(binding.parse("金山院区预计哪年投入运营？", flat), sentence) == 0.0
    assert binding.clash(asked, "一期规划床位400张。") == 0.0
    assert binding.clash(binding.parse("2021年新增多少家企业？", flat), "2022年新增11家。") == 1.0


LIST = "依托“蚂蚁阿福”app,锡山区、梁溪区、惠山区的9个社区服务中心,首批97个“医生分身”已全面上线。"


def test_a_number_asked_of_a_lists_member_is_not_the_whole_lists():
    assert binding.member("梁溪区有几个社区服务中心上线了？", LIST) == 1.0
    assert binding.member("惠山区有几个社区服务中心上线了？", LIST) == 1.0  # the last member too
    enterprises = (
        "共有包括康养服务、美容保健、平台服务、药品零售、医疗器械等6大类120家医疗健康领域企业。"
    )
    assert binding.member("其中医疗器械企业有多少家？", enterprises) == 1.0


def test_the_whole_list_its_members_own_numbers_and_other_questions_are_no_member_asked():
    assert binding.member("一共有几个社区服务中心上线了？", LIST) == 0.0  # the whole list
    assert binding.member("锡山区、梁溪区和惠山区一共有几个社区服务中心？", LIST) == 0.0
    assert binding.member("梁溪区的社区服务中心叫什么？", LIST) == 0.0  # no number asked
    staffed = "医院今年共引进医护人员146名,其中医师52名、护士94名、药师12名。"
    assert binding.member("医院今年引进了多少名护士？", staffed) == 0.0  # each counted
    assert binding.member("医院今年引进了多少名护士？", "医院设有内科、外科、儿科。") == 0.0


def test_the_head_is_the_counted_noun_after_the_question_word():
    assert binding.head("县级医院向乡镇卫生院下派了多少名护士？").terms == ("护士",)
    assert binding.head("园区目前一共吸纳了多少人就业？").terms == ("就业",)
    assert binding.head("一期规划多少张床位？") == binding.Head(("床位",), ("number",))
    assert binding.head("二期预计哪一年投入运营？").kinds == ("date",)


def test_with_no_noun_after_it_the_head_is_the_term_before_the_question_word():
    assert binding.head("白石河水库的正常蓄水位是多少米？").terms == ("蓄水位",)
    assert binding.head("项目总投资一共是多少？").terms == ("投资",)


def test_a_question_asking_no_number_or_date_has_no_head():
    assert binding.head("院长是谁？").terms == ()
    assert binding.head("How many beds are planned?").terms == ()


def test_a_sentence_counting_something_else_lacks_the_head():
    asked = binding.head("县级医院向乡镇卫生院下派了多少名护士？")
    assert binding.holds(asked, "县级医院向乡镇卫生院下派骨干医生73名。") == (1.0, 0.0)
    assert binding.holds(asked, "下派骨干医生73名、护士41名。") == (0.0, 1.0)
    # the head named, but in another clause than the value
    assert binding.holds(asked, "护士队伍持续壮大，下派医生73名。") == (0.0, 0.0)


def test_no_head_lacks_nothing():
    assert binding.holds(binding.head("院长是谁？"), "院长张三表示。") == (0.0, 1.0)
