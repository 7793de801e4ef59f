"""Issuer, region and year of real-world report pages, and questions scoped by them.

Each fixture is written for its pattern (no report text is copied): a city bureau that names district award
winners, a district report that names only "区人力资源局" and its 区委, two years of one issuer, a bureau of
another kind whose district name holds another district's characters, and a page that names no place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.query import QueryParser
from bot.text.gazetteer import Gazetteer, named_area
from bot.text.orgs import bureau_kind
from bot.text.places import mentions
from bot.types import ReportMeta
from ingest.load import load_report
from ingest.overrides import apply_overrides
from ingest.parse import parse_text
from tests.unit.test_query import _meta as catalog_meta

CITY_WITH_WINNERS = """广州市人力资源和社会保障局2023年法治政府建设年度报告

2023年，我局在市委、市政府的领导下，扎实推进法治政府建设。

一、主要成效

（一）依法行政水平提升。全年办理行政复议案件41件。海珠区人社局、天河区人社局获评法治建设先进单位，
番禺区人社局的做法在全市推广。海珠区调解仲裁院获评优秀。

二、存在问题

基层执法力量仍然不足。
"""

DISTRICT_NAMES_ONLY_ITSELF = """在宝安区委、区政府的正确领导下，区人力资源局认真贯彻落实法治政府建设要求，
现将2021年工作报告如下。

一、主要做法

（一）推进依法决策。全年审查规范性文件3件，开展执法检查56次。

（二）化解劳动争议。全年受理劳动争议案件1200宗，结案率98%。
"""

MARKET_SUPERVISION = """上城区市场监督管理局2022年度法治政府建设情况报告

2022年，上城区市场监督管理局坚持依法行政。

一、主要举措

（一）规范执法。全年查办案件310件，罚没款520万元。
"""

NO_PLACE = """2022年度法治政府建设工作报告

2022年，我局坚持依法行政，推进各项工作。

一、主要举措

（一）加强学习。组织法治培训6场。
"""


def _meta(tmp_path: Path, name: str, text: str) -> ReportMeta:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return parse_text(load_report(f, tmp_path)).meta


def _two_years(year: int, cases: int) -> str:
    return (
        f"天津市人力资源和社会保障局{year}年法治政府建设年度报告\n\n"
        f"{year}年，市人社局深入推进依法行政。\n\n一、主要举措\n\n（一）办理行政复议案件{cases}件。\n"
    )


def test_a_city_bureau_is_not_named_after_the_districts_it_praises(tmp_path: Path) -> None:
    meta = _meta(tmp_path, "gz.txt", CITY_WITH_WINNERS)
    assert meta.issuer == "广州市人力资源和社会保障局"
    assert meta.region.model_dump() == {"province": "广东省", "city": "广州市", "district": None}
    assert "海珠" not in meta.short_name


def test_a_district_report_naming_only_its_bureau_gets_its_place_from_the_district_committee(tmp_path: Path) -> None:
    meta = _meta(tmp_path, "ba.txt", DISTRICT_NAMES_ONLY_ITSELF)
    assert meta.issuer == "深圳市宝安区人力资源局"
    assert meta.region.model_dump() == {"province": "广东省", "city": "深圳市", "district": "宝安区"}
    assert meta.years == [2021]
    assert "未知" not in meta.title
    assert meta.short_name.startswith("宝安区人力资源局2021年")


def test_an_abbreviated_city_bureau_takes_the_full_name_the_text_gives(tmp_path: Path) -> None:
    text = "2021年，市人社局坚持依法行政。天津市人力资源和社会保障局制定了工作方案。\n\n一、主要举措\n\n办理案件9件。\n"
    meta = _meta(tmp_path, "tj.txt", text)
    assert meta.issuer == "天津市人力资源和社会保障局"
    assert meta.region.city == "天津市"


def test_a_bureau_of_another_kind_has_its_real_district_and_no_bogus_city(tmp_path: Path) -> None:
    meta = _meta(tmp_path, "sc.txt", MARKET_SUPERVISION)
    assert meta.issuer == "上城区市场监督管理局"
    assert meta.region.model_dump() == {"province": "浙江省", "city": "杭州市", "district": "上城区"}
    assert mentions("上城区市场监督管理局") == ["上城区"]


def test_a_page_that_names_no_place_takes_its_region_from_the_manifest(tmp_path: Path) -> None:
    f = tmp_path / "np.txt"
    f.write_text(NO_PLACE, encoding="utf-8")
    report = parse_text(load_report(f, tmp_path))
    assert report.meta.region.names() == []
    assert "未知" not in report.meta.title
    apply_overrides(report, {"issuer": "常州市钟楼区人力资源和社会保障局", "district": "钟楼区", "city": "常州市"})
    assert report.meta.region.district == "钟楼区"
    parser = QueryParser([report.meta])
    assert parser.parse("常州钟楼区2022年组织了几场法治培训？").report_ids == [report.meta.report_id]


@pytest.mark.parametrize("text", ["全市各区", "两个区", "这个区", "依法治区", "员全省", "奖全区", "城区市场"])
def test_words_that_merely_end_in_a_level_are_not_places(text: str) -> None:
    assert mentions(text) == []


def test_the_gazetteer_fills_in_the_hierarchy_and_settles_ambiguity_by_context() -> None:
    g = Gazetteer.default()
    assert g.resolve("深圳宝安") == {"province": "广东省", "city": "深圳市", "district": "宝安区"}
    assert g.resolve("常州钟楼区")["city"] == "常州市"
    assert g.resolve("白云区")["city"] is None  # 广州 and 贵阳 both have one
    assert g.resolve("贵阳市白云区")["city"] == "贵阳市"
    assert named_area("重庆市两江新区2020年度报告") == "两江新区"
    assert named_area("国家级新区") is None


@pytest.fixture()
def catalog(tmp_path: Path) -> list[ReportMeta]:
    metas = [
        _meta(tmp_path, "gz.txt", CITY_WITH_WINNERS),
        _meta(tmp_path, "ba.txt", DISTRICT_NAMES_ONLY_ITSELF),
        _meta(tmp_path, "sc.txt", MARKET_SUPERVISION),
        _meta(tmp_path, "tj2020.txt", _two_years(2020, 30)),
        _meta(tmp_path, "tj2022.txt", _two_years(2022, 45)),
    ]
    return metas


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("深圳宝安2021年受理了多少劳动争议案件？", ["ba"]),
        ("宝安区人社局审查了几件规范性文件？", ["ba"]),
        ("广州市人社局办了多少复议案件？", ["gz"]),  # the city's own bureau, not the districts it names
        ("上城区市场监管局查办了多少案件？", ["sc"]),
        ("天津市人社局2022年办理了多少行政复议案件？", ["tj2022"]),
        ("天津市人社局2020年办理了多少行政复议案件？", ["tj2020"]),
    ],
)
def test_questions_are_scoped_to_the_place_and_year_they_name(
    catalog: list[ReportMeta], question: str, expected: list[str]
) -> None:
    assert QueryParser(catalog).parse(question).report_ids == expected


def test_a_year_the_issuer_has_no_report_for_is_uncovered(catalog: list[ReportMeta]) -> None:
    q = QueryParser(catalog).parse("天津市人社局2021年办理了多少行政复议案件？")
    assert q.uncovered_years == [2021]


@pytest.mark.parametrize(
    "question", ["宛城区市场监管局查办了多少案件？", "天河区人社局办了多少复议案件？", "北京人社局办了多少复议案件？"]
)
def test_a_place_no_report_covers_selects_nothing(catalog: list[ReportMeta], question: str) -> None:
    q = QueryParser(catalog).parse(question)
    assert q.report_ids == []
    assert q.unknown_regions


def test_adding_an_unrelated_report_does_not_change_another_places_scope(
    catalog: list[ReportMeta], tmp_path: Path
) -> None:
    questions = [
        "深圳宝安2021年受理了多少劳动争议案件？",
        "上城区市场监管局查办了多少案件？",
        "天津市人社局2022年办理了多少行政复议案件？",
    ]
    before = [QueryParser(catalog).parse(q).report_ids for q in questions]
    extra = _meta(tmp_path, "wc.txt", MARKET_SUPERVISION.replace("上城区", "宛城区"))
    after = [QueryParser([*catalog, extra]).parse(q).report_ids for q in questions]
    assert after == before


def test_a_page_in_traditional_characters_has_its_place(tmp_path: Path) -> None:
    text = (
        "汕頭市龍湖區教育局2022年法治政府建設年度報告\n\n2022年，我局堅持依法行政。\n\n一、主要做法\n\n辦理案件3件。\n"
    )
    meta = _meta(tmp_path, "tw.txt", text)
    assert meta.region.model_dump() == {"province": "广东省", "city": "汕头市", "district": "龙湖区"}
    assert meta.issuer == "汕头市龙湖区教育局"


def test_a_report_that_names_only_a_place_is_its_governments(tmp_path: Path) -> None:
    text = "2021年，深圳市宝安区坚持依法行政，全面推进法治政府建设。\n\n一、主要举措\n\n审查规范性文件8件。\n"
    meta = _meta(tmp_path, "gov.txt", text)
    assert meta.issuer == "深圳市宝安区人民政府"


def test_a_zone_written_two_ways_is_one_area() -> None:
    assert named_area("2024年，东疆综保区坚持依法行政") == named_area("东疆综合保税区2025年度报告") == "东疆综合保税区"
    assert named_area("天津经济技术开发区2024年报告") == "天津经济技术开发区"


@pytest.mark.parametrize("text", ["推进行政和法治建设", "中山路街道", "加强宝安全生产"])
def test_a_short_place_name_inside_ordinary_words_is_no_place(text: str) -> None:
    assert Gazetteer.default().resolve(text) == {"province": None, "city": None, "district": None}


def test_the_year_of_an_index_number_or_a_filing_date_is_not_the_year_covered(tmp_path: Path) -> None:
    text = (
        "索引号：11370402MB2856/2026-00005 发布日期：2026-01-15\n"
        "某某区教育局法治政府建设工作情况报告\n"
        "今年以来，我局坚持依法治教。2025年共办理行政复议案件3件。\n"
    )
    assert _meta(tmp_path, "index.txt", text).years == [2025]


def test_the_page_fields_and_the_breadcrumb_are_not_the_issuer(tmp_path: Path) -> None:
    text = (
        "您所在的位置:首页 >> 年度报告 >> 法治政府建设年度报告\n\n"
        "2022年江北区法治政府建设工作情况报告\n\n"
        "2023-03-20 09:12:30  来源:区司法局  责任编辑:区司法局\n\n"
        "2022年，江北区人民政府坚持依法行政。\n\n一、主要举措\n\n审查规范性文件8件。\n"
    )
    meta = _meta(tmp_path, "crumb.txt", text)
    assert meta.title == "2022年江北区法治政府建设工作情况报告"
    assert meta.issuer is not None and meta.issuer.endswith("江北区人民政府")
    assert meta.published == "2023-03-20"


def test_a_street_office_under_its_district_government_is_the_issuer(tmp_path: Path) -> None:
    text = "思明区人民政府鹭江街道办事处关于2022年度法治政府建设情况的报告\n\n2022年，我街道坚持依法行政。\n"
    meta = _meta(tmp_path, "street.txt", text)
    assert meta.issuer == "思明区人民政府鹭江街道办事处"
    assert meta.region.district == "思明区"
    assert bureau_kind(meta.issuer) == bureau_kind("厦门市思明区鹭江街道办事处")


def test_a_town_below_the_gazetteer_is_named_from_the_title(tmp_path: Path) -> None:
    text = "青石镇2023年法治政府建设年度报告\n\n2023年以来，青石镇坚持依法行政。现将青石镇人民政府工作报告如下。\n"
    meta = _meta(tmp_path, "town.txt", text)
    assert meta.issuer == "青石镇人民政府"
    assert not meta.title.startswith("未知")


def test_questions_about_a_town_are_scoped_to_its_own_reports(tmp_path: Path) -> None:
    town = _meta(tmp_path, "town.txt", "青石镇2023年法治政府建设年度报告\n\n2023年，青石镇人民政府坚持依法行政。\n")
    street = _meta(
        tmp_path,
        "street.txt",
        "思明区人民政府鹭江街道办事处关于2022年度法治政府建设情况的报告\n\n2022年，我街道坚持依法行政。\n",
    )
    parser = QueryParser([town, street])
    assert parser.parse("青石镇2023年举办了几次法治讲座？").report_ids == [town.report_id]
    other_year = parser.parse("青石镇2022年举办了几次法治讲座？")
    assert other_year.report_ids == [town.report_id] and other_year.uncovered_years == [2022]
    other_street = parser.parse("思明区中华街道2022年开展了多少场普法活动？")
    assert other_street.report_ids == [] and other_street.unknown_regions == ["中华街道"]
    assert parser.parse("思明区鹭江街道2022年开展了多少场普法活动？").report_ids == [street.report_id]


@pytest.mark.parametrize(
    ("text", "city"),
    [
        # 我局 with no title: the districts' bureaus it praises are its own kind, one level down
        (
            "2024年，在市委、市政府的领导下，我局扎实推进法治建设。福州市“企业用工服务”项目获评创新项目，"
            "鼓楼区人社局获评先进集体，台江区人社局获评优秀单位。\n\n一、主要举措\n\n办理行政复议案件12件。\n",
            "福州市",
        ),
        # 市人社局, and a district in its address
        (
            "现将市人社局2023年法治政府建设情况报告予以公开。如有疑问请与市人社局法规处联系（地址：南京市鼓楼区中山路1号）。\n"
            "一、主要举措\n2023年，市人社局坚持依法行政。\n",
            "南京市",
        ),
    ],
)
def test_a_city_bureau_writes_for_the_city_not_a_district_it_names(tmp_path: Path, text: str, city: str) -> None:
    meta = _meta(tmp_path, "city.txt", text)
    assert (meta.region.city, meta.region.district) == (city, None)
    assert meta.issuer is not None and meta.issuer.startswith(city)
    assert bureau_kind(meta.issuer) == "人力资源和社会保障局"


def test_the_leaders_standing_committee_is_not_the_issuer(tmp_path: Path) -> None:
    text = "保定市2025年法治政府建设年度报告\n\n2025年，市委常委会专题学习法治思想。\n\n一、主要举措\n\n办案3件。\n"
    assert _meta(tmp_path, "bd.txt", text).issuer == "保定市人民政府"


def test_a_verb_after_a_place_is_no_body(tmp_path: Path) -> None:
    text = "2024年，银川市聚焦办好三件实事，全面推进法治政府建设。\n\n一、主要举措\n\n办理案件3件。\n"
    assert _meta(tmp_path, "yc.txt", text).issuer == "银川市人民政府"


def test_a_title_below_the_pages_fields_is_the_title(tmp_path: Path) -> None:
    text = (
        "- 索 引 号：640100/2024-00012\n- 发文机关：银川市人民政府办公室\n"
        "银川市人民政府关于2023年度法治政府建设情况的报告\n\n市委：\n\n2023年，市政府坚持依法行政。\n"
    )
    meta = _meta(tmp_path, "fields.txt", text)
    assert meta.title == "银川市人民政府关于2023年度法治政府建设情况的报告"
    assert meta.issuer == "银川市人民政府"


@pytest.mark.parametrize(
    ("title", "years"),
    [
        ("海口市龙华区人民政府关于2021年度法治政府建设情况及2022年度工作安排的报告", [2021]),
        ("2020年，龙华区贯彻《法治政府建设实施纲要(2015—2020年)》，推进依法行政", [2020]),
    ],
)
def test_a_plans_years_are_not_the_years_covered(tmp_path: Path, title: str, years: list[int]) -> None:
    assert _meta(tmp_path, "plan.txt", f"{title}\n\n一、主要举措\n\n办理案件3件。\n").years == years


def test_a_short_place_name_inside_a_bodys_name_is_no_place() -> None:
    # "公安" is also 公安县's short name, and 宣城 has no such county
    assert Gazetteer.default().resolve("宣城市公安局")["district"] is None


def _catalog_of(*metas: tuple[str, str, str | None, str | None, str | None, int]) -> QueryParser:
    return QueryParser([catalog_meta(*m) for m in metas])


def test_a_place_named_inside_a_longer_name_or_under_another_city_is_not_the_catalogues() -> None:
    parser = _catalog_of(
        ("jl", "吉林市人民政府", "吉林省", "吉林市", None, 2022),
        ("gl", "福州市鼓楼区人民政府", "福建省", "福州市", "鼓楼区", 2022),
    )
    assert parser.parse("吉林市2022年下放了多少项权力？").report_ids == ["jl"]
    assert parser.parse("吉林省政府2022年下放了多少项权力？").report_ids == []  # the province's own report
    assert parser.parse("鼓楼区2022年办了多少件复议案件？").report_ids == ["gl"]
    assert parser.parse("南京市鼓楼区2022年办了多少件复议案件？").report_ids == []


def test_a_county_named_after_its_city_in_short_is_read_with_the_city() -> None:
    # "信阳新县" is 信阳's 新县, not the 阳新县 of Hubei that its middle characters spell
    assert mentions("信阳新县政府2022年开了几次常务会议？") == ["新县"]
    parser = _catalog_of(("xx", "新县人民政府", "河南省", "信阳市", "新县", 2022))
    query = parser.parse("信阳新县政府2022年开了几次常务会议？")
    assert query.report_ids == ["xx"]
    assert query.unknown_regions == []


def test_a_body_named_with_its_place_picks_that_bodys_report() -> None:
    parser = _catalog_of(
        ("gov", "上饶市人民政府", "江西省", "上饶市", None, 2022),
        ("sf", "上饶市司法局", "江西省", "上饶市", None, 2022),
    )
    assert parser.parse("上饶市司法局2022年办了多少件复议案件？").report_ids == ["sf"]
    assert parser.parse("上饶市2022年办了多少件复议案件？").report_ids == ["gov", "sf"]
    # a unit of a body ("社保中心") is no other body: the place's reports stay
    assert parser.parse("上饶市社保中心2022年办了多少件业务？").report_ids == ["gov", "sf"]


@pytest.mark.parametrize(
    ("text", "issuer", "county"),
    [
        # a town the gazetteer knows once: its county, city and province filled in
        ("贤庠镇人民政府2023年度法治政府建设情况报告\n\n2023年，我镇依法行政。\n", "象山县贤庠镇人民政府", "象山县"),
        # a street of that name in four counties: the one of the city the text names
        (
            "2022年，在区委领导下，虹桥街道深入推进基层法治建设，入选上海市法治示范街镇。\n\n一、主要举措\n\n办案3件。\n",
            "长宁区虹桥街道办事处",
            "长宁区",
        ),
        # "街道" speaking alone, its name written short: the county's street of that name
        (
            "2021年，街道按照《奉节县法治政府建设方案》推进工作，谱写鱼复法治新篇章，鱼复法治建设再上台阶。\n",
            "奉节县鱼复街道办事处",
            "奉节县",
        ),
    ],
)
def test_a_town_or_streets_report_has_its_county_from_the_gazetteer(
    tmp_path: Path, text: str, issuer: str, county: str
) -> None:
    meta = _meta(tmp_path, "town.txt", text)
    assert meta.issuer == issuer
    assert meta.region.district == county and meta.region.city and meta.region.province


def test_a_township_become_a_town_is_found_under_its_old_name() -> None:
    # the gazetteer lists 涪陵区 增福乡; a page writes 增福镇 (and 长葛市 has a 增福镇 of its own)
    county = Gazetteer.default().county_of_town("增福镇", "重庆市涪陵区委、区政府", ())
    assert county is not None and county.name == "涪陵区"


def test_the_division_code_of_the_index_number_settles_a_place_of_several_cities(tmp_path: Path) -> None:
    # 市中区 is a district of 枣庄, 济南 (until 2019), 乐山 and 内江; the page's 索引号 begins with 370402 (枣庄)
    text = (
        "- 索 引 号:370402/2026-00031\n- 发文时间:2026年02月27日\n- 标 题:市中区司法局2025年度法治政府建设情况报告\n"
        "市中区司法局2025年度法治政府建设情况报告\n\n2025年，区司法局坚持依法行政。\n\n一、主要举措\n\n办理复议案件3件。\n"
    )
    meta = _meta(tmp_path, "szq.txt", text)
    assert (meta.region.province, meta.region.city, meta.region.district) == ("山东省", "枣庄市", "市中区")
    assert meta.title == "市中区司法局2025年度法治政府建设情况报告"  # the line below the fields, not "标 题:…"
    assert meta.published == "2026-02-27"  # from the page's date field


def test_a_code_that_contradicts_the_text_is_not_taken(tmp_path: Path) -> None:
    # a unified social credit code inside the index number (…440106… is 天河区) beside a report of 越秀区
    text = (
        "- 索引号:11440106007485073X/2026-00002\n"
        "广州市越秀区司法局2025年度法治政府建设情况报告\n\n2025年，区司法局坚持依法行政。\n\n一、主要举措\n\n办案3件。\n"
    )
    assert _meta(tmp_path, "yx.txt", text).region.district == "越秀区"


def test_a_report_speaking_for_a_province_is_its_governments_not_a_citys(tmp_path: Path) -> None:
    # the opening speaks for the province (全省各级政府, 省政府) and names none; its cities are examples
    text = (
        "2025年，在省委的正确领导下，全省各级政府深入推进依法行政。省政府主要负责人履行第一责任人职责。\n\n"
        "一、主要举措\n\n株洲市推行柔性执法，株洲市、湘潭市获评示范市，株洲市经验全省推广。\n"
    )
    meta = _meta(tmp_path, "hn.txt", text)
    assert (meta.region.province, meta.region.city) == ("湖南省", None)
    assert meta.issuer == "湖南省人民政府"


def test_a_title_of_two_lines_names_both_issuers(tmp_path: Path) -> None:
    text = (
        "中共株洲市委 株洲市人民政府\n关于2025年度法治政府建设情况的报告\n\n"
        "2025年，株洲市坚持依法行政。\n\n一、主要举措\n\n办理复议案件3件。\n"
    )
    meta = _meta(tmp_path, "zz.txt", text)
    assert meta.title == "中共株洲市委 株洲市人民政府关于2025年度法治政府建设情况的报告"
    assert meta.issuer == "中共株洲市委 株洲市人民政府"
    assert (meta.region.province, meta.region.city) == ("湖南省", "株洲市")


def test_a_sites_banner_is_no_title_and_its_fields_line_dates_the_report(tmp_path: Path) -> None:
    text = (
        "株洲市芦淞区人民政府 2019年12月3日星期二\n\n无障碍 简体| 繁体\n\n芦淞区2025年度法治政府建设情况报告\n"
        "来源:芦淞区人民政府办公室 发布时间:2026-03-28 09:18\n\n"
        "2025年，芦淞区坚持依法行政。\n\n一、主要举措\n\n办案3件。\n"
    )
    meta = _meta(tmp_path, "banner.txt", text)
    assert meta.title == "芦淞区2025年度法治政府建设情况报告"
    assert meta.published == "2026-03-28"


def test_he_joining_two_bodies_is_no_county(tmp_path: Path) -> None:
    # 和县 is a county of 马鞍山; in "国务院和县委" 和 joins two bodies
    text = (
        "2025年，县市场监管局全面贯彻党中央、国务院和县委、县政府关于法治政府建设的部署。\n\n"
        "一、主要举措\n\n制定《霍山县市场监管局依法行政重点工作安排》，霍山县市场监管局办案3件。\n"
    )
    meta = _meta(tmp_path, "hs.txt", text)
    assert meta.region.district == "霍山县" and meta.region.city == "六安市"
    assert Gazetteer.default().resolve("马鞍山市和县人民政府")["district"] == "和县"  # the county itself stays


def test_a_conjunction_before_a_one_character_county_joins_words() -> None:
    # 和县 is a county of 马鞍山; after a word ("领导和县司法局") 和 is "and", after a place or a comma it is the county
    g = Gazetteer.default()
    assert "和县" not in [m.text for m in g.find("在县委的坚强领导和县司法局的指导下推进依法行政")]
    assert "和县" in [m.text for m in g.find("安徽省和县司法局推进依法行政")]
    assert "和县" in [m.text for m in g.find("2025年，和县司法局推进依法行政")]


@pytest.mark.parametrize(
    ("text", "issuer", "district"),
    [
        # "湖南省认真落实…委员会": an adverb opens the run after the place, an action and not a body's name
        (
            "2025年，湖南省委、省政府坚持依法行政，推进法治政府建设。一是完善机制。湖南省认真落实全面依法治省"
            "委员会部署，健全工作制度。\n\n一、主要举措\n\n办理复议案件3件。\n",
            "湖南省人民政府",
            None,
        ),
        # the district's government speaks in the opening ("区政府深入推进…"), the district named below
        (
            "2025年，区政府深入推进依法行政，全年办理行政复议案件3件。\n\n一、主要举措\n\n"
            "芦淞区推行柔性执法，芦淞区获评示范区。\n",
            "株洲市芦淞区人民政府",
            "芦淞区",
        ),
        # the gazetteer knows a 大街街道, not this newer street: the name opening the clause is the street's own
        (
            "2025年，光明大街街道在文峰区委、区政府的领导下，深入推进依法行政。\n\n一、主要举措\n\n调解纠纷3件。\n",
            "光明大街街道办事处",
            "文峰区",
        ),
        # the site's menu (the sites it links to, the home page's labels) names the city's portal, not the writer
        (
            "中国政府网 | 四川省人民政府网 | 成都市人民政府网 区人大 区政协\n"
            "首页 走进郫都 政务公开 政务服务 政民互动\n\n"
            "2024年度重点工作完成情况\n\n区政府办公室对2024年重点工作完成情况进行了汇总。\n\n一、总体情况\n\n"
            "根据《2024年郫都区人民政府工作报告目标任务分解方案》，分解任务120项。\n",
            "成都市郫都区人民政府办公室",
            "郫都区",
        ),
        # a reading in pinyin after a character (清遠(yuǎn)市) does not break the name
        ("2025年，清遠(yuǎn)市教育局堅持依法行政。\n\n一、主要舉措\n\n辦理複議案件3件。\n", "清远市教育局", None),
    ],
)
def test_the_writer_of_a_page(tmp_path: Path, text: str, issuer: str, district: str | None) -> None:
    meta = _meta(tmp_path, "page.txt", text)
    assert meta.issuer == issuer
    assert meta.region.district == district


def test_a_district_report_led_by_its_government_is_not_the_governments(tmp_path: Path) -> None:
    # "在区委、区政府的领导下" names who leads the writer; with no body named the issuer stays unknown
    text = (
        "2025年，在区委、区政府的坚强领导下，我们深入推进依法行政。"
        + "坚持依法决策，规范执法行为。" * 20
        + "\n\n一、主要举措\n\n芦淞区推行柔性执法，芦淞区获评示范区。\n"
    )
    meta = _meta(tmp_path, "ls2.txt", text)
    assert meta.issuer is None
    assert meta.region.district == "芦淞区"
    assert "未知" not in meta.title


def test_a_city_bureau_named_by_its_level_after_a_verb_is_the_citys(tmp_path: Path) -> None:
    # "现将市人社局…": 将 cannot end a place's name; the address names a district, the bureau is the city's
    text = (
        "现将市人社局2025年法治政府建设情况报告如下。如有疑问，请与市人社局法规处联系（地址：天津市河西区友谊路2号）。\n\n"
        "一、工作开展情况\n\n办理复议案件3件。\n"
    )
    meta = _meta(tmp_path, "tj.txt", text)
    assert meta.issuer is not None and bureau_kind(meta.issuer) == "人力资源和社会保障局"
    assert (meta.region.city, meta.region.district) == ("天津市", None)


def test_a_bureau_of_a_city_named_only_in_short_is_that_citys(tmp_path: Path) -> None:
    # "市交通运输局" of a county-level city the text names only as 海安: never the province's bureau
    text = (
        "2025年，市交通运输局坚持依法行政，落实江苏省交通运输厅的部署。\n\n一、主要举措\n\n"
        "开通海安至如皋公交专线，海安主城区公交全覆盖，海安高铁站接驳线路优化。\n"
    )
    meta = _meta(tmp_path, "ha.txt", text)
    assert meta.issuer == "海安市交通运输局"
    assert (meta.region.province, meta.region.city, meta.region.district) == ("江苏省", "南通市", "海安市")
    no_city = _meta(tmp_path, "js.txt", text.replace("海安", "沿线"))
    assert no_city.issuer is None or not no_city.issuer.startswith("江苏省")


def test_a_title_broken_over_two_lines_is_one_title(tmp_path: Path) -> None:
    text = (
        "桐木漯瑶族乡人民政府关于2025年度法治政府建设\n工作的报告\n\n"
        "2025年，在县委、县政府的领导下，全乡深入推进依法行政。\n\n一、主要举措\n\n调解纠纷3件。\n"
    )
    meta = _meta(tmp_path, "tm.txt", text)
    assert meta.title == "桐木漯瑶族乡人民政府关于2025年度法治政府建设工作的报告"
    assert meta.issuer == "宁远县桐木漯瑶族乡人民政府"  # an ethnic township, the only one of its name
    assert (meta.region.city, meta.region.district) == ("永州市", "宁远县")


@pytest.mark.parametrize(
    ("text", "issuer", "region"),
    [
        # a new area of three characters, written alone: its own district-level region, by its committee
        (
            "2025年，翠屏湾新区坚持依法行政，推进法治政府建设。\n\n一、主要举措\n\n办理复议案件3件。\n",
            "翠屏湾新区管理委员会",
            (None, None, "翠屏湾新区"),
        ),
        # written with its city: the city and province are the city's
        (
            "东莞翠屏湾新区2025年法治政府建设年度报告\n\n2025年，新区坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
            "东莞市翠屏湾新区管理委员会",
            ("广东省", "东莞市", "翠屏湾新区"),
        ),
        # a zone whose name opens with its city's: the city, and the city not written twice in the issuer
        (
            "2025年北京经济技术开发区法治政府建设情况报告\n\n2025年，北京经济技术开发区管理委员会坚持依法行政。\n\n"
            "一、主要举措\n\n办案3件。\n",
            "北京经济技术开发区管理委员会",
            ("北京市", "北京市", "北京经济技术开发区"),
        ),
        # two bodies before the year in the title: a joint report
        (
            "中共株洲市委 株洲市人民政府2025年度法治政府建设工作报告\n\n2025年，株洲市坚持依法行政。\n\n"
            "一、主要举措\n\n办案3件。\n",
            "中共株洲市委 株洲市人民政府",
            ("湖南省", "株洲市", None),
        ),
        # today's date banner is no title; the page's poster after a bar names "市水务局" in full
        (
            "今天是:\n\n2026-01-20 17:01 | 株洲市水务局\n\n市水务局2025年度法治政府建设情况报告\n\n"
            "2025年，我局坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
            "株洲市水务局",
            ("湖南省", "株洲市", None),
        ),
        # the site's name on a line above the title: the title's 区司法局 is the writer, at the site's place
        (
            "芦淞区人民政府\n2025年区司法局政府信息公开工作年度报告\n\n一、总体情况\n\n2025年，主动公开信息3条。\n",
            "株洲市芦淞区司法局",
            ("湖南省", "株洲市", "芦淞区"),
        ),
        # the level written twice (芦淞区区司法局) is one body; "北京市市场监督管理局" keeps its 市场
        (
            "2025年，芦淞区区司法局坚持依法行政，推进法治政府建设。\n\n一、主要举措\n\n办案3件。\n",
            "芦淞区司法局",
            ("湖南省", "株洲市", "芦淞区"),
        ),
        (
            "2025年，北京市市场监督管理局坚持依法行政，推进法治政府建设。\n\n一、主要举措\n\n办案3件。\n",
            "北京市市场监督管理局",
            ("北京市", "北京市", None),
        ),
        # a title opening with its city and county before the street
        (
            "株洲市芦淞区枫溪街道2025年度法治政府建设 工作报告\n\n2025年，在区委的领导下，街道坚持依法行政。\n\n"
            "一、主要举措\n\n调解纠纷3件。\n",
            "芦淞区枫溪街道办事处",
            ("湖南省", "株洲市", "芦淞区"),
        ),
        # a street after its year's 年度: the name begins after 年度
        (
            "2025年度枫溪街道法治政府建设工作报告\n\n2025年，枫溪街道坚持依法行政，芦淞区委部署的任务全部完成。\n\n"
            "一、主要举措\n\n调解纠纷3件。\n",
            "芦淞区枫溪街道办事处",
            ("湖南省", "株洲市", "芦淞区"),
        ),
        # a site named by its place alone, its breadcrumb, then the title: the title's province wrote it
        (
            "株洲市\n\n当前位置：首页 > 政务公开 > 通知公告\n\n湖南省2025年度法治政府建设情况\n\n"
            "2025年，我省各级政府坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
            "湖南省人民政府",
            ("湖南省", None, None),
        ),
        # no title: 我委 is the 委员会 the text names with its place
        (
            "根据《中华人民共和国政府信息公开条例》要求，结合我委实际，制定株洲市芦淞区卫生健康委员会2025年度"
            "政府信息公开工作年度报告。\n\n一、总体情况\n\n2025年，主动公开信息3条。\n",
            "株洲市芦淞区卫生健康委员会",
            ("湖南省", "株洲市", "芦淞区"),
        ),
        # no title: 我局 and a bureau named by its level alone, in a city's report that names its districts
        (
            "2025年，我局在市委市政府的领导下，统筹发展和安全，株洲市安全形势稳定。\n\n一、主要举措\n\n"
            "芦淞区、荷塘区完成演练3次，芦淞区、荷塘区获评先进。市应急管理局获评全省先进单位。\n",
            "株洲市应急管理局",
            ("湖南省", "株洲市", None),
        ),
        # a province's bureau by its level alone, the province named only in short
        (
            "2025年，省司法厅坚持依法行政，深入学习贯彻对湖南系列重要讲话精神。\n\n一、主要举措\n\n办案3件。\n",
            "湖南省司法厅",
            ("湖南省", None, None),
        ),
        # a body's own short name (卫生健康委) before 以, and bodies joined by 和 that make no one name
        (
            "2025年，株洲市卫生健康委以习近平法治思想为指导，认真落实市委市政府和国家卫生健康委的决策部署。\n\n"
            "一、主要举措\n\n办案3件。\n",
            "株洲市卫生健康委",
            ("湖南省", "株洲市", None),
        ),
        # the body that says it compiled the report
        (
            "本报告依据《中华人民共和国政府信息公开条例》要求，由株洲市生态环境局结合有关统计数据编制。\n\n"
            "一、总体情况\n\n主动公开信息3条。\n",
            "株洲市生态环境局",
            ("湖南省", "株洲市", None),
        ),
    ],
)
def test_the_writer_and_place_of_a_page(
    tmp_path: Path, text: str, issuer: str, region: tuple[str | None, str | None, str | None]
) -> None:
    meta = _meta(tmp_path, "page.txt", text)
    assert meta.issuer == issuer
    assert (meta.region.province, meta.region.city, meta.region.district) == region


def test_an_autonomous_prefecture_goes_by_its_name_and_zhou() -> None:
    g = Gazetteer.default()
    assert g.resolve("昌吉州人民政府")["city"] == "昌吉回族自治州"
    assert bureau_kind("昌吉州人民政府") == bureau_kind("昌吉回族自治州人民政府")


@pytest.mark.parametrize(
    ("head", "years"),
    [
        # its review heading names the year reviewed; it plans the next
        (
            "2026年株洲市芦淞区政府工作报告\n——2025年12月26日在芦淞区人民代表大会上\n\n各位代表：\n\n"
            "一、2025年工作回顾\n",
            [2025, 2026],
        ),
        # only the session's date: early in a year, it reviews the year before
        (
            "政府工作报告——2026年1月15日在株洲市第十六届人民代表大会第四次会议上\n\n各位代表：\n\n"
            "现在我代表市人民政府报告工作。\n",
            [2025, 2026],
        ),
        # another report of the same year: the year it covers only
        ("株洲市司法局2025年法治政府建设年度报告\n\n2025年，我局坚持依法行政。\n", [2025]),
    ],
)
def test_a_government_work_report_covers_the_year_it_reviews_and_the_year_it_plans(
    tmp_path: Path, head: str, years: list[int]
) -> None:
    assert _meta(tmp_path, "gov.txt", head + "\n二、主要举措\n\n办案3件。\n").years == years


def test_a_zone_named_new_town_is_no_district_of_that_short_name(tmp_path: Path) -> None:
    # "泾河新城" is a new area's zone: the 新城 in it is not 新城区 (西安's, 呼和浩特's)
    meta = _meta(
        tmp_path,
        "jh.txt",
        "泾河新城2025年度法治政府建设工作报告\n\n2025年，泾河新城坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
    )
    assert meta.issuer == "泾河新城管理委员会"
    assert meta.region.district == "泾河新城"
    assert named_area("推进空港新城建设") == "空港新城" and named_area("全力打造新城") is None
    assert Gazetteer.default().resolve("西安市新城区人民政府")["district"] == "新城区"


def test_a_word_before_a_towns_name_is_part_of_it_only_when_a_noun(tmp_path: Path) -> None:
    text = (
        "中共芦淞区委、芦淞区人民政府：\n2025年以来，街道坚持依法行政，为全街道发展提供法治保障。"
        "现将枫溪街道2025年度法治政府建设情况报告如下。\n\n一、主要举措\n\n调解纠纷3件。\n"
    )
    assert _meta(tmp_path, "fx.txt", text).issuer == "芦淞区枫溪街道办事处"


def test_a_report_speaking_for_a_sector_of_its_city_is_that_sectors_body(tmp_path: Path) -> None:
    text = (
        "在市委、市政府的坚强领导下，全市卫生健康系统坚持依法行政，加快推进法治政府建设。\n\n"
        "一、工作情况\n\n出台了《株洲市卫生健康委员会重大行政执法决定法制审核规定》，审核案件13件。\n"
    )
    meta = _meta(tmp_path, "wj.txt", text)
    assert meta.issuer == "株洲市卫生健康委员会"
    assert (meta.region.city, meta.region.district) == ("株洲市", None)
    # the sector's body is not named: no body is guessed for it
    other = _meta(tmp_path, "wj2.txt", text.replace("株洲市卫生健康委员会", "株洲市人民政府"))
    assert other.issuer is None or "卫生健康" not in other.issuer


def test_a_named_area_the_gazetteer_does_not_know_lies_in_the_one_city_its_text_names(tmp_path: Path) -> None:
    text = (
        "泾河新城2025年度法治政府建设工作报告\n\n2025年，泾河新城坚持依法行政。\n\n一、主要举措\n\n"
        "按照西安市行政处罚案卷新标准，开展案卷评查2次。\n"
    )
    meta = _meta(tmp_path, "jh.txt", text)
    assert (meta.region.province, meta.region.city, meta.region.district) == ("陕西省", "西安市", "泾河新城")
    two = _meta(tmp_path, "jh2.txt", text.replace("开展案卷评查2次", "学习咸阳市经验，开展案卷评查2次"))
    assert two.region.city is None  # two cities named: neither is taken for its parent


def test_a_title_under_a_sites_header_and_its_bracketed_fields_is_found(tmp_path: Path) -> None:
    text = (
        "中国政府网 | 湖南省人民政府网 区政府 网站专栏\n| 无障碍 | | 注册\n首页 政务公开 互动交流\n\n"
        "您当前位置: 首页>区政府部门>卫生健康局>政务公开\n[ 索引号 ] 11430203MB15011811/2026-00005 [ 发文字号 ]\n"
        "[ 主题分类 ] 卫生 [ 体裁分类 ] 工作报告\n[ 发布机构 ] 芦淞区卫生健康局 [ 发布日期 ] 2026-01-13\n\n"
        "株洲市芦淞区卫生健康局 关于2025年法治政府建设情况的报告\n\n"
        "2025年，芦淞区卫生健康局以习近平法治思想为指导，扎实推进法治政府建设，取得了新的成效。\n\n"
        "一、主要举措\n\n办案3件。\n"
    )
    meta = _meta(tmp_path, "ws.txt", text)
    assert meta.title == "株洲市芦淞区卫生健康局 关于2025年法治政府建设情况的报告"
    assert meta.issuer == "株洲市芦淞区卫生健康局"
    # a sentence of the text before any title line: no title is taken from below it
    welcome = "本站整合了全区各部门的政务信息，方便群众查询办事指南和公开文件，欢迎访问。"
    prose = text.replace("首页 政务公开 互动交流", welcome)
    assert _meta(tmp_path, "ws2.txt", prose).title != "株洲市芦淞区卫生健康局 关于2025年法治政府建设情况的报告"


def test_a_pages_fields_in_brackets_date_it_and_give_its_division(tmp_path: Path) -> None:
    text = (
        "您当前的位置:首页>政务公开>法治政府建设年度报告\n\n"
        "[ 索引号 ]11430203711623327X/2026-00118 [ 发文字号 ] [ 发布机构 ]芦淞区人民政府 [ 成文日期 ]2026-02-23 "
        "[ 发布日期 ]2026-02-24 [ 体裁分类 ]工作报告\n\n芦淞区2025年度法治政府建设情况报告\n\n"
        "2025年，芦淞区坚持依法行政。\n\n一、主要举措\n\n办案3件。\n"
    )
    meta = _meta(tmp_path, "bk.txt", text)
    assert meta.published in ("2026-02-23", "2026-02-24")
    assert meta.published_span and "发布日期" in text[meta.published_span[0] : meta.published_span[1]]


def test_a_page_in_a_reading_mode_with_pinyin_has_its_title_and_date(tmp_path: Path) -> None:
    text = (
        "發(fā)布日期:2026-03-28 18:04\n\n"
        "湖南省人民政府關(guān)于2025年度法治政府建設(shè)情況的報(bào)告\n\n"
        "2025年，自治區省政府堅持依法行政。\n\n一、主要舉措\n\n辦案3件。\n"
    )
    meta = _meta(tmp_path, "py.txt", text)
    assert meta.published == "2026-03-28"
    assert meta.title == "湖南省人民政府關于2025年度法治政府建設情況的報告"
    assert meta.issuer == "湖南省人民政府"
