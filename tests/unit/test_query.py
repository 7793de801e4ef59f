"""Which reports a question selects, on a catalog of nested places (a province, a city, its districts).

The catalog is made up here, so the rules are checked on place names no sample uses.
"""

from __future__ import annotations

import pytest

from bot.query import QueryParser, classify
from bot.types import HistoryTurn, Region, ReportMeta


def _meta(rid: str, issuer: str, province: str | None, city: str | None, district: str | None, year: int) -> ReportMeta:
    return ReportMeta(
        report_id=rid,
        source=f"{rid}.txt",
        title=f"{issuer}{year}年法治政府建设年度报告",
        issuer=issuer,
        region=Region(province=province, city=city, district=district),
        years=[year],
    )


CATALOG = [
    _meta("prov", "江西省司法厅", "江西省", None, None, 2022),
    _meta("city", "赣州市人力资源和社会保障局", "江西省", "赣州市", None, 2022),
    _meta("zhanggong", "赣州市章贡区人力资源和社会保障局", "江西省", "赣州市", "章贡区", 2022),
    _meta("nankang", "赣州市南康区人力资源和社会保障局", "江西省", "赣州市", "南康区", 2021),
    # a city with no report of its own, only two of its districts
    _meta("xiangyang", "襄阳市襄城区司法局", "湖北省", "襄阳市", "襄城区", 2023),
    _meta("fancheng", "襄阳市樊城区司法局", "湖北省", "襄阳市", "樊城区", 2023),
]


CITY_QUESTION = [
    HistoryTurn(role="user", content="赣州人社局举办了多少场招聘会？"),
    HistoryTurn(role="assistant", content="…"),
]


@pytest.fixture(scope="module")
def parser() -> QueryParser:
    return QueryParser(CATALOG)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a city named alone means the city's own report, not also every district's
        ("赣州人社局2022年举办了多少场招聘会？", ["city"]),
        ("赣州市今年的普法工作有哪些？", ["city"]),
        # a district named wins over its city
        ("赣州市章贡区办了多少件行政复议案件？", ["zhanggong"]),
        ("南康区2021年的培训情况如何？", ["nankang"]),
        # a province named alone means the province's own report
        ("江西省司法厅推进了哪些工作？", ["prov"]),
        # a city named together with its province: the city
        ("江西省赣州市的招聘会有多少场？", ["city"]),
        # asking across the places inside a city keeps all of them
        ("赣州各区分别办了多少场招聘会？", ["city", "nankang", "zhanggong"]),
        ("赣州市下辖区县的培训有哪些？", ["city", "nankang", "zhanggong"]),
        # a city without a report of its own: its districts
        ("襄阳市有哪些普法活动？", ["fancheng", "xiangyang"]),
        # two districts named: both, as a comparison
        ("章贡区和南康区哪个招聘会多？", ["nankang", "zhanggong"]),
    ],
)
def test_the_most_specific_place_named_selects_its_own_reports(
    parser: QueryParser, question: str, expected: list[str]
) -> None:
    assert parser.parse(question).report_ids == expected


def test_two_districts_named_are_compared(parser: QueryParser) -> None:
    q = parser.parse("章贡区和南康区哪个招聘会多？")
    assert q.compare


def test_a_city_named_alone_is_not_a_comparison_of_its_districts(parser: QueryParser) -> None:
    q = parser.parse("赣州人社局都开展了哪些招聘活动吗？")
    assert q.report_ids == ["city"]
    assert not q.compare


def test_follow_up_swaps_the_city_for_one_of_its_districts(parser: QueryParser) -> None:
    q = parser.parse("那章贡区呢？", CITY_QUESTION)
    assert q.report_ids == ["zhanggong"]
    assert "招聘会" in q.search_text


def test_follow_up_without_a_place_keeps_the_city_report(parser: QueryParser) -> None:
    q = parser.parse("参加的人数是多少？", CITY_QUESTION)
    assert q.report_ids == ["city"]


def test_an_unknown_district_inside_a_known_city_selects_nothing(parser: QueryParser) -> None:
    q = parser.parse("赣州市瑞金区办了多少场招聘会？")
    assert q.report_ids == []
    assert q.unknown_regions == ["瑞金区"]


def test_a_refusal_for_an_unknown_place_names_a_long_catalog_briefly() -> None:
    from types import SimpleNamespace

    from bot.answer.extractive import ExtractiveAnswerer

    metas = [_meta(f"r{i:03d}", f"第{i}区司法局", "江西省", "赣州市", f"第{i}区", 2020 + i % 5) for i in range(60)]
    data = SimpleNamespace(generation="g1", reports={m.report_id: SimpleNamespace(meta=m, text="") for m in metas})
    query = QueryParser(metas).parse("海南省三亚市办了多少件行政复议案件？")
    assert query.report_ids == []
    message = ExtractiveAnswerer().metadata_refusal(query, data)  # type: ignore[arg-type]
    assert message is not None and "海南省" in message
    assert "等60份报告" in message
    assert message.count("司法局") == 20


def test_coverage_selects_the_reports_that_mention_a_place_without_changing_the_query() -> None:
    from types import SimpleNamespace

    from bot import coverage

    metas = [
        _meta("a", "甲区司法局", "江西省", "赣州市", "章贡区", 2021),
        _meta("b", "乙区司法局", "江西省", "赣州市", "南康区", 2021),
    ]
    texts = {"a": "2021年，章贡区司法局与瑞金市开展合作。", "b": "2021年，南康区司法局推进依法行政。"}
    data = SimpleNamespace(
        generation="g", reports={m.report_id: SimpleNamespace(meta=m, text=texts[m.report_id]) for m in metas}
    )
    query = QueryParser(metas).parse("瑞金市的合作情况怎么样？")
    assert query.report_ids == [] and query.unknown_regions
    catalog = coverage.Catalog(5)
    assert coverage.refusal(query, data, catalog) is None  # type: ignore[arg-type]
    assert coverage.scoped(query, data).report_ids == ["a"]  # type: ignore[arg-type]
    assert query.report_ids == []  # neither changed the query
    asked_of_body = QueryParser(metas).parse("瑞金市司法局办了多少件行政复议案件？")
    message = coverage.refusal(asked_of_body, data, catalog)  # type: ignore[arg-type]
    assert message is not None and "瑞金市" in message


@pytest.mark.parametrize(
    "question",
    [
        "哪个区人社局的行政复议案件最多？",
        "各区的招聘会分别办了几场？",
        "这几份报告里，哪份提到了法律顾问？",
        "这几份里头，哪些提到了法律顾问？",  # the reports pointed at without the word 报告
    ],
)
def test_a_question_across_the_reports_with_none_named_is_a_survey(question: str) -> None:
    q = QueryParser(CATALOG).parse(question)
    assert q.survey and not q.report_ids


@pytest.mark.parametrize(
    "question",
    ["章贡区人社局的行政复议案件最多的是哪一年？", "赣州各区举办了多少场招聘会？", "法律顾问是哪家律所的？"],
)
def test_a_question_naming_a_report_or_not_asking_across_is_no_survey(question: str) -> None:
    assert not QueryParser(CATALOG).parse(question).survey


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("一共发了多少张社保卡？", "张"),
        ("审批要几个工作日？", "工作日"),
        ("各自出了几份规范性文件？", "份"),  # 几 before any measure word asks a count
        ("办了几期培训？", "期"),
        ("印了多少份材料？", "份"),
        ("平均分多少？", None),
        ("牵头办了多少人大建议？", None),  # 人 begins the word 人大: no measure word
    ],
)
def test_a_count_asks_for_any_measure_word(question: str, unit: str | None) -> None:
    from bot.answer.extractive.facts import unit_ok

    assert classify(question) == ("count", unit)
    if unit == "张":
        assert not unit_ok("份", unit) and unit_ok("张", unit)  # 5万余份宣传资料 is no count of cards


def test_a_case_is_an_event_so_a_count_of_lawsuits_in_chang_is_answered_in_jian() -> None:
    from bot.answer.extractive.facts import unit_ok

    assert unit_ok("件", "场") and unit_ok("宗", "回")  # 输了几场官司: 败诉6件
    assert not unit_ok("人", "场") and not unit_ok("万元", "场")


def test_a_follow_up_without_a_question_word_asks_what_the_question_before_it_asked() -> None:
    history = [HistoryTurn(role="user", content="去年牵头办了多少件人大建议？")]
    assert QueryParser([]).parse("那会办的呢？", history).qtype == "count"
    assert QueryParser([]).parse("那会办的有哪些？", history).qtype == "list"
    # a follow-up that says its own kind of answer keeps it
    assert QueryParser([]).parse("办结率呢？", history).qtype == "percent"
    assert QueryParser([]).parse("那具体做法呢？", history).qtype == "how"


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("岳麓区和天心区都有做行政争议案件的分析报告吗？", "yesno"),  # a closing 吗 asks yes or no
        ("两个区都有公开执法结果吗", "yesno"),
        ("岳麓区都有哪些举措？", "list"),
        ("2012年评估的是哪6项规章", "list"),  # a count in digits, as 哪六项
        ("岳麓区都有什么举措吗？", "list"),  # a question word still asks for the things
        ("岳麓区都有多少件复议吗？", "count"),
    ],
)
def test_a_closing_ma_asks_yes_or_no(question: str, qtype: str) -> None:
    assert classify(question)[0] == qtype


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a year and no place: the reports that cover that year
        ("2021年那份报告里培训了多少人？", ["nankang"]),
        ("2023年的两份报告都提到了哪些普法方式？", ["fancheng", "xiangyang"]),
        # a year every report covers, or none does, scopes nothing
        ("2019年办了多少件行政复议？", []),
    ],
)
def test_a_year_named_without_a_place_asks_the_reports_of_that_year(
    parser: QueryParser, question: str, expected: list[str]
) -> None:
    assert parser.parse(question).report_ids == expected


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("岳麓区去年帮农民工追回了多少欠薪？", "amount"),  # what 多少 counts is money
        ("罚了多少钱", "amount"),
        ("发了多少补贴", "amount"),
        ("多少家企业欠薪", "count"),  # a measure word: the firms are counted, not the wages
        ("多少人领到补贴", "count"),
    ],
)
def test_money_counted_asks_an_amount(question: str, qtype: str) -> None:
    assert classify(question)[0] == qtype


@pytest.mark.parametrize(
    ("question", "sentence", "answers"),
    [
        ("建了多少个服务站？", "全区建成120余个服务站。", True),  # "more than" written inside the unit
        ("有多少家企业参加？", "共有30多家企业参加。", True),
        ("有多少家企业参加？", "共有30多名群众参加。", False),  # another unit, 多 or not
        ("每年花多少钱？", "法律援助经费每年300万元。", True),  # the frequency the question asks
        ("花了多少钱？", "法律援助经费每年300万元。", False),  # a yearly rate is no sum spent
    ],
)
def test_a_number_answers_with_more_than_and_asked_frequencies(question: str, sentence: str, answers: bool) -> None:
    from bot.answer.extractive.facts import numbers_in, type_ok

    q = QueryParser([]).parse(question)
    assert type_ok(q, sentence, set()) is answers
    if "余" in sentence or "多" in sentence:
        assert any(unit[0] in "余多" for _n, unit, _a, _b in numbers_in(sentence))


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("两个区在创建和谐劳动关系企业上分别有啥数字？", "count"),  # the numbers themselves are asked
        ("行政复议有哪些具体数据？", "count"),
        ("行政复议有哪些做法？", "list"),  # things, not numbers
    ],
)
def test_asking_for_the_numbers_asks_a_count(question: str, qtype: str) -> None:
    assert classify(question)[0] == qtype


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("这几份报告里哪份提到了法律顾问？", ("fact", None)),  # 这几份 points at the reports: no count asked
        ("这几个局都有法律顾问吗", ("yesno", None)),
        ("那几个区一共办了多少件？", ("count", "件")),
        ("办了几件？", ("count", "件")),
    ],
)
def test_a_demonstrative_before_ji_points_rather_than_counts(question: str, expected: tuple[str, str | None]) -> None:
    assert classify(question) == expected


@pytest.mark.parametrize(
    ("question", "sentence", "answers"),
    [
        ("一共收到了多少件申请？", "报告包括总体情况、收到和处理申请情况等六个部分。", False),  # 个 in words, 件 asked
        ("收入增长了多少？", "地方一般公共预算收入增长9.3%。", True),  # a rise given as a percentage
        ("收入有多少？", "地方一般公共预算收入增长9.3%。", False),  # a percentage is no amount
        ("公开了多少条信息？", "全年主动公开信息百余条。", True),
    ],
)
def test_a_count_in_words_and_a_rise_in_percent(question: str, sentence: str, answers: bool) -> None:
    from bot.answer.extractive.facts import type_ok
    from bot.text.analysis import normalize

    assert type_ok(QueryParser([]).parse(question), normalize(sentence), set()) is answers


def test_a_measure_word_says_what_is_counted_even_beside_money_words() -> None:
    # 经费 is a money word, but 几条 counts items of information
    assert classify("预决算和三公经费信息占几条？") == ("count", "条")
    assert classify("三公经费一共多少钱？")[0] == "amount"


@pytest.mark.parametrize(
    ("sentence", "answers"),
    [
        ("聘任了27名兼职仲裁员,参与审理案件共计600余件。", False),  # cases, not arbitrators
        ("聘任了27名兼职仲裁员,其中律师12名。", True),
    ],
)
def test_a_count_in_ge_restating_the_reports_number_counts_its_things(sentence: str, answers: bool) -> None:
    from bot.answer.extractive.facts import type_ok
    from bot.text.analysis import normalize

    q = QueryParser([]).parse("那27个兼职仲裁员里，律师占了几个？")
    assert type_ok(q, normalize(sentence), {"27"}) is answers


def test_a_follow_up_pointing_at_an_item_of_the_answer_asks_of_that_item() -> None:
    from bot.query.followup import ordinal_resolved

    history = [
        HistoryTurn(role="user", content="存在哪几个问题？"),
        HistoryTurn(role="assistant", content="一是案件积压较多[1]；二是执法力量薄弱[2]；三是疑难案件增加[3]。"),
    ]
    assert ordinal_resolved("第一个是怎么造成的？", history) == "案件积压较多是怎么造成的？"
    assert ordinal_resolved("第二条呢？", history) == "执法力量薄弱呢？"
    assert ordinal_resolved("最后一个怎么解决？", history) == "疑难案件增加怎么解决？"
    assert ordinal_resolved("第五个呢？", history) == "第五个呢？"  # no fifth item: the question as asked
    assert ordinal_resolved("第一个是怎么造成的？", history[:1]) == "第一个是怎么造成的？"  # no answer to point at
    q = QueryParser([]).parse("第一个是怎么造成的？", history)
    assert "积压" in q.asked and q.qtype == "how"


def test_a_count_of_the_reports_own_parts_answers_no_count_but_a_question_about_them() -> None:
    from bot.answer.extractive.facts import type_ok
    from bot.text.analysis import normalize

    sentence = normalize("本报告由总体情况、主动公开情况、其他需要报告的事项6个部分组成。")
    assert not type_ok(QueryParser([]).parse("全年主动公开了多少条信息？"), sentence, set())
    assert type_ok(QueryParser([]).parse("报告分为几个部分？"), sentence, set())


def test_a_persons_name_after_a_post_and_before_tongzhi_answers_who() -> None:
    from bot.answer.extractive.facts import type_ok
    from bot.text.analysis import normalize

    q = QueryParser([]).parse("是谁给机关干部讲的法治课？")
    assert type_ok(q, normalize("委党委书记、主任王栩冬同志以“依法治理”为题，为机关干部讲授法治课。"), set())
    assert not type_ok(q, normalize("委党委书记以“依法治理”为题，为机关干部讲授法治课。"), set())


def test_an_autonomous_prefecture_asked_in_its_short_form_is_its_reports_place() -> None:
    # 黔东南苗族侗族自治州 is written 黔东南州 in speech and on its own bodies' names
    metas = [
        _meta("q", "黔东南州民政局", "贵州省", "黔东南苗族侗族自治州", None, 2023),
        _meta("g", "贵阳市民政局", "贵州省", "贵阳市", None, 2023),
    ]
    query = QueryParser(metas).parse("黔东南州民政局2023年办了多少件事？")
    assert query.report_ids == ["q"] and not query.unknown_regions
    assert metas[0].short_name == "黔东南州民政局2023年报告"  # its place is not written twice
