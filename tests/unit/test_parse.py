"""ingest.parse and ingest.meta: the heading tree with original-file spans, boilerplate, report metadata."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from conftest import ALL_NAMES, BOILERPLATE_MARKERS, SAMPLE_NAMES

from ingest.load import load_report
from ingest.parse import ParsedReport, Section, parse_text

# Named sections of each sample with their exact heading paths (as the file writes them: ASCII or
# full-width brackets and commas, and paragraph lead phrases for numbered paragraphs).
EXPECTED_SECTIONS: dict[str, list[list[str]]] = {
    "000_31e41020e1499160.txt": [
        ["一、本年度主要举措和成效", "(二)加快转变政府职能", "1.持续推动简政放权"],
        ["一、本年度主要举措和成效", "(一)加强法治政府建设统筹谋划", "2. 组织领导情况"],
        ["一、本年度主要举措和成效", "(四)提高行政决策科学化民主化法治化水平", "1. 落实政府法律顾问制度"],
        ["一、本年度主要举措和成效", "(八)强化权力监督制约", "3.强化审计监督"],
        ["二、存在的问题"],
        ["三、下一步工作安排"],
    ],
    "001_db59ff4b70f4e062.txt": [
        [
            "一、2023年推进法治政府建设的主要举措和成效",
            "(二)着力健全政策法规体系,持续推进依法治理",
            "2.严格落实行政执法“三项制度”",
        ],
        [
            "一、2023年推进法治政府建设的主要举措和成效",
            "(四)广泛开展政策宣传,落实“谁执法谁普法”普法责任制",
        ],
        ["二、存在的不足和原因"],
        ["三、切实履行推进法治政府建设第一责任人职责", "(二)强化法治保障,形成法治监督体系"],
        ["四、2024年推进法治政府建设的主要安排", "(三)深入开展法治宣传教育"],
    ],
    "002_6fae348653edd2e7.txt": [
        ["一、加强领导,健全依法行政工作机制", "(四)深化法治宣传教育"],
        ["二、整合职能,不断优化行政审批流程", "(三)优化流程高效服务"],
        ["三、规范管理,加快人社领域立法进程", "(一)出台规范性文件管理制度"],
        ["四、全面推进,行政决策水平全面提升", "(五)做好案件办理"],
        ["五、存在的主要问题"],
    ],
    "003_a5f592639eb2b6b4.txt": [
        ["一、主要做法", "(三)严格规范、公正、文明执法"],
        ["一、主要做法", "(七)建设兼职仲裁员队伍"],
        ["二、存在的问题及下步工作打算", "(一)存在的问题"],
        ["二、存在的问题及下步工作打算", "(二)下步工作打算"],
        ["三、2021年工作建议", "(二)推进多元化矛盾纠纷调解机制建设,维护新区和谐稳定"],
    ],
    "004_4c6858bdc4dfdbf1.txt": [
        # "## 一、" then "## **（二）" (same Markdown level): still its child.
        ["一、主要措施及成效", "（二）严格履职，着力提升行政效能，创新行政服务形式"],
        [
            "一、主要措施及成效",
            "（二）严格履职，着力提升行政效能，创新行政服务形式",
            "1.全面清理权责清单，承接下放事权",
        ],
        # "#### **（四）" sits deeper in Markdown than its siblings.
        ["一、主要措施及成效", "（四）完善制度建设，提供依法行政制度保障", "3.进一步健全法律顾问制度"],
        ["一、主要措施及成效", "（八）依法行政取得显著成效", "2、积极创新，人社服务工作又上新台阶"],
        # "### **（一）" under "## **二、", and a bold-only "**（二）" line without any '#'.
        ["二、存在的问题", "（一）法制工作力量相对薄弱"],
        ["二、存在的问题", "（二）劳动者维权意识强，但法治意识低，法治教育宣传仍需加强"],
        ["三、下一步工作思路", "（一）全面提高行政服务效能"],
    ],
    "sz_pingshan_2021.txt": [
        ["一、2021年度主要举措和成效", "（四）严格规范公正文明执法", "3.依法治理欠薪问题"],
        ["三、下一步工作计划", "（七）自觉接受监督"],
    ],
    "gbk_xuhui_2019.txt": [
        ["一、2019年依法行政工作主要情况", "(二)深化“放管服”改革，提升服务效能"],
        ["三、2020年工作打算", "(四)深化政务公开和“一网通办”"],
    ],
}

EXPECTED_TOP_LEVEL: dict[str, list[str]] = {
    "000_31e41020e1499160.txt": ["一、本年度主要举措和成效", "二、存在的问题", "三、下一步工作安排"],
    "001_db59ff4b70f4e062.txt": [
        "一、2023年推进法治政府建设的主要举措和成效",
        "二、存在的不足和原因",
        "三、切实履行推进法治政府建设第一责任人职责",
        "四、2024年推进法治政府建设的主要安排",
    ],
    "002_6fae348653edd2e7.txt": [
        "一、加强领导,健全依法行政工作机制",
        "二、整合职能,不断优化行政审批流程",
        "三、规范管理,加快人社领域立法进程",
        "四、全面推进,行政决策水平全面提升",
        "五、存在的主要问题",
    ],
    "003_a5f592639eb2b6b4.txt": ["一、主要做法", "二、存在的问题及下步工作打算", "三、2021年工作建议"],
    "004_4c6858bdc4dfdbf1.txt": ["一、主要措施及成效", "二、存在的问题", "三、下一步工作思路"],
}


def _headed(report: ParsedReport) -> list[Section]:
    return [s for s in report.sections if s.path]


def _section(report: ParsedReport, path: list[str]) -> Section:
    matches = [s for s in report.sections if s.path == path]
    assert len(matches) == 1, f"{path} found {len(matches)} times"
    return matches[0]


def _is_within(inner: Section, outer: Section) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


# --- the heading tree ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED_SECTIONS))
def test_named_sections_have_their_exact_heading_paths(name: str, parsed: dict[str, ParsedReport]) -> None:
    paths = [s.path for s in parsed[name].sections]
    for expected in EXPECTED_SECTIONS[name]:
        assert expected in paths


@pytest.mark.parametrize("name", list(EXPECTED_TOP_LEVEL))
def test_top_level_sections_are_exactly_the_reports_chapters(name: str, parsed: dict[str, ParsedReport]) -> None:
    assert [s.path[0] for s in parsed[name].sections if len(s.path) == 1] == EXPECTED_TOP_LEVEL[name]


def test_inconsistent_markdown_levels_do_not_change_the_official_hierarchy(
    parsed: dict[str, ParsedReport],
) -> None:
    report = parsed["004_4c6858bdc4dfdbf1.txt"]
    parent = _section(report, ["一、主要措施及成效"])
    child = _section(report, ["一、主要措施及成效", "（二）严格履职，着力提升行政效能，创新行政服务形式"])
    assert _is_within(child, parent)
    # All eight （一）…（八） subsections hang under 一、, whatever their '#' count.
    subs = [s.path[1][:3] for s in report.sections if len(s.path) == 2 and s.path[0] == "一、主要措施及成效"]
    assert subs == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）", "（八）"]
    for s in report.sections:
        for part in s.path:
            assert "#" not in part and "*" not in part


def test_inline_enumerations_are_not_headings(parsed: dict[str, ParsedReport]) -> None:
    report = parsed["003_a5f592639eb2b6b4.txt"]
    assert "一是" in report.text
    for s in report.sections:
        assert not any(re.match(r"[一二三四五六七八九十]是", part) for part in s.path)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_section_start_is_where_its_heading_is_written(name: str, parsed: dict[str, ParsedReport]) -> None:
    report = parsed[name]
    for s in _headed(report):
        line = report.text[s.start :].split("\n", 1)[0]
        line = line.lstrip("# ").replace("**", "")
        assert line.startswith(s.path[-1].rstrip("…")), (s.path, line[:40])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_section_spans_are_trimmed_ordered_and_nested(name: str, parsed: dict[str, ParsedReport]) -> None:
    report = parsed[name]
    text = report.text
    headed = _headed(report)
    assert headed, "a report with numbered headings has sections"
    by_path = {tuple(s.path): s for s in headed}
    for s in headed:
        assert 0 <= s.start < s.end <= len(text)
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()
        if len(s.path) > 1:
            assert _is_within(s, by_path[tuple(s.path[:-1])])
    for a, b in itertools.pairwise(headed):
        assert a.start < b.start
        if len(b.path) <= len(a.path):  # b is a sibling or an uncle: a ended before it
            assert a.end <= b.start


@pytest.mark.parametrize("name", ALL_NAMES)
def test_section_dicts_match_the_sections(name: str, parsed: dict[str, ParsedReport]) -> None:
    report = parsed[name]
    assert report.section_dicts() == [
        {"path": s.path, "start": s.start, "end": s.end} for s in report.sections if s.path
    ]


# --- boilerplate and the clean view --------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_no_section_covers_boilerplate(name: str, parsed: dict[str, ParsedReport]) -> None:
    report = parsed[name]
    for marker in BOILERPLATE_MARKERS:
        for m in re.finditer(re.escape(marker), report.text):
            for s in report.sections:  # the preamble (path []) included
                assert not (s.start <= m.start() < s.end), (marker, s.path)
        assert marker not in report.clean


def test_boilerplate_markers_are_present_in_the_sample_files(parsed: dict[str, ParsedReport]) -> None:
    """Guards the boilerplate tests above: the markers do occur in the raw files."""
    raw = "".join(parsed[n].text for n in SAMPLE_NAMES)
    for marker in BOILERPLATE_MARKERS:
        assert marker in raw


def test_pasted_news_after_the_end_of_002_is_left_out(parsed: dict[str, ParsedReport]) -> None:
    report = parsed["002_6fae348653edd2e7.txt"]
    last = _section(report, ["五、存在的主要问题"])
    tail = report.text.index("湖北举办线上机关档案业务建设培训班")
    assert last.end <= tail
    assert report.text[: last.end].endswith("(武汉市政府法制办供稿)")


def test_an_attachment_the_report_lists_is_its_own_section_not_a_tail(tmp_path: Path) -> None:
    text = (
        "某区2024年重点工作完成情况\n\n一、总体情况\n\n全年分解任务120项，全部完成。\n\n"
        "附件：2024年度重点任务完成情况表（具体见附表）。\n\n2024年度重点任务完成情况表\n\n序号\n\n目标任务\n\n"
        "实现农业增加值增长5%。\n\n区农业农村委\n\n完成农业增加值12.3亿元、增长6.1%。\n\n"
    )
    f = tmp_path / "attached.txt"
    f.write_text(text, encoding="utf-8")
    report = parse_text(load_report(f, tmp_path))
    table = _section(report, ["2024年度重点任务完成情况表"])
    assert "12.3亿元" in report.text[table.start : table.end]
    # and a short line after the end that no attachment announced is still a tail
    f.write_text(text.replace("附件：2024年度重点任务完成情况表（具体见附表）。", "特此报告。"), encoding="utf-8")
    report = parse_text(load_report(f, tmp_path))
    assert all("12.3亿元" not in report.text[s.start : s.end] for s in report.sections)


def test_page_break_blank_line_is_joined_in_the_clean_view(parsed: dict[str, ParsedReport]) -> None:
    report = parsed["004_4c6858bdc4dfdbf1.txt"]
    assert "局领导积极践行\n\n行政机关负责人出庭应诉制度" in report.text
    assert "局领导积极践行行政机关负责人出庭应诉制度" in report.clean


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_clean_character_maps_to_the_same_character_of_the_file(
    name: str, parsed: dict[str, ParsedReport]
) -> None:
    report = parsed[name]
    assert report.clean
    for i, ch in enumerate(report.clean):
        assert report.text[report.spans.to_orig(i)] == ch, i


def test_markdown_markup_is_not_in_the_clean_view(parsed: dict[str, ParsedReport]) -> None:
    clean = parsed["004_4c6858bdc4dfdbf1.txt"].clean
    assert "**" not in clean
    assert not any(line.startswith("#") for line in clean.split("\n"))


def test_crlf_line_breaks_are_not_taken_for_page_breaks(tmp_path: Path) -> None:
    body = "一、主要工作\n全年完成以下工作\n新增就业三千人。\n"
    lf, crlf = tmp_path / "lf.txt", tmp_path / "crlf.txt"
    lf.write_bytes(body.encode("utf-8"))
    crlf.write_bytes(body.replace("\n", "\r\n").encode("utf-8"))
    assert "全年完成以下工作\n新增就业三千人" in parse_text(load_report(lf)).clean
    assert parse_text(load_report(crlf)).clean == parse_text(load_report(lf)).clean


def test_crlf_file_keeps_sections_and_offsets(tmp_path: Path, parsed: dict[str, ParsedReport]) -> None:
    lf = parsed["000_31e41020e1499160.txt"]
    path = tmp_path / "crlf.txt"
    path.write_bytes(lf.text.replace("\n", "\r\n").encode("utf-8"))
    crlf = parse_text(load_report(path))
    assert [s.path for s in crlf.sections] == [s.path for s in lf.sections]
    for s in _headed(crlf):
        assert crlf.text[s.start :].startswith(s.path[-1].rstrip("…")[:4])
        assert not crlf.text[s.end - 1].isspace()


# --- metadata -----------------------------------------------------------------------------------------

EXPECTED_META: dict[str, dict[str, object]] = {
    "000_31e41020e1499160.txt": {
        "issuer": "广州市白云区人力资源和社会保障局",
        "province": "广东省",
        "city": "广州市",
        "district": "白云区",
        "years": [2020],
        "published": None,
    },
    "001_db59ff4b70f4e062.txt": {
        "title": "嘉定区人力资源和社会保障局2023年度法治政府建设情况报告",
        "issuer": "嘉定区人力资源和社会保障局",
        "city": "上海市",
        "district": "嘉定区",
        "years": [2023],
        "published": "2024-03-08",
    },
    "002_6fae348653edd2e7.txt": {
        "title": "武汉市人力资源和社会保障局关于本届政府以来推进依法行政工作情况的报告",
        "issuer": "武汉市人力资源和社会保障局",
        "city": "武汉市",
        "district": None,
        "years": [2012, 2013, 2014, 2015, 2016],
        "published": "2017-02-21",
    },
    "003_a5f592639eb2b6b4.txt": {
        "city": "重庆市",
        "district": "两江新区",
        "years": [2020],
        "published": None,
    },
    "004_4c6858bdc4dfdbf1.txt": {
        "title": "广州市海珠区人力资源和社会保障局 2017年度依法行政工作报告",
        "issuer": "广州市海珠区人力资源和社会保障局",
        "province": "广东省",
        "city": "广州市",
        "district": "海珠区",
        "years": [2017],
        "published": None,
    },
    "sz_pingshan_2021.txt": {
        "city": "深圳市",
        "district": "坪山区",
        "years": [2021],
        "published": "2022-01-28",
    },
    "gbk_xuhui_2019.txt": {
        "title": "上海市徐汇区人力资源和社会保障局2019年依法行政工作报告",
        "issuer": "上海市徐汇区人力资源和社会保障局",
        "city": "上海市",
        "district": "徐汇区",
        "years": [2019],
        "published": "2020-03-06",
    },
}


@pytest.mark.parametrize("name", list(EXPECTED_META))
def test_report_metadata(name: str, parsed: dict[str, ParsedReport]) -> None:
    meta = parsed[name].meta
    got = {
        "title": meta.title,
        "issuer": meta.issuer,
        "province": meta.region.province,
        "city": meta.region.city,
        "district": meta.region.district,
        "years": meta.years,
        "published": meta.published,
    }
    expected = EXPECTED_META[name]
    assert {k: got[k] for k in expected} == expected
    assert meta.source == name
    assert meta.report_id == name.removesuffix(".txt")
    assert meta.n_chars == len(parsed[name].text)


def test_report_without_a_title_line_gets_a_synthesized_title(parsed: dict[str, ParsedReport]) -> None:
    report = parsed["000_31e41020e1499160.txt"]
    assert report.text.startswith("2020年是")  # no title line in the file
    title = report.meta.title
    assert "白云区" in title and "2020" in title
    assert title not in report.text


def test_breadcrumb_report_title_skips_browser_boilerplate(parsed: dict[str, ParsedReport]) -> None:
    meta = parsed["003_a5f592639eb2b6b4.txt"].meta
    assert "两江新区" in meta.title and "2020" in meta.title
    for junk in ("浏览器", "位置", "首页", ">"):
        assert junk not in meta.title
    assert meta.issuer is None or "两江新区" in meta.issuer


def test_boilerplate_before_the_text_of_003_is_outside_every_section(parsed: dict[str, ParsedReport]) -> None:
    report = parsed["003_a5f592639eb2b6b4.txt"]
    body_start = report.text.index("按照区全面依法治区委员会办公室")
    assert min(s.start for s in report.sections) == body_start
    assert report.clean.startswith("按照区全面依法治区委员会办公室")


@pytest.mark.parametrize(
    ("name", "date_text"),
    [
        ("001_db59ff4b70f4e062.txt", "发布日期:2024-03-08"),
        ("002_6fae348653edd2e7.txt", "21.02.2017 \xa016:07"),  # the file has a no-break space there
    ],
)
def test_published_span_cites_the_date_line(name: str, date_text: str, parsed: dict[str, ParsedReport]) -> None:
    report = parsed[name]
    span = report.meta.published_span
    assert span is not None
    assert report.text[span[0] : span[1]] == date_text


def test_wuhan_report_is_in_hubei_province(parsed: dict[str, ParsedReport]) -> None:
    assert parsed["002_6fae348653edd2e7.txt"].meta.region.province == "湖北省"


@pytest.mark.parametrize(
    ("issuer", "district"),
    [
        # rare district names: jieba splits them into single characters with odd tags (硚/yg 口/q)
        ("武汉市硚口区人力资源和社会保障局", "硚口区"),
        ("江门市蓬江区司法局", "蓬江区"),
    ],
)
def test_rare_district_names_are_found_in_the_title(tmp_path: Path, issuer: str, district: str) -> None:
    f = tmp_path / "r.txt"
    f.write_text(
        f"{issuer}2021年法治政府建设年度报告\n\n2021年，我局坚持依法行政。\n\n一、主要举措\n\n全年办理案件12件。\n",
        encoding="utf-8",
    )
    meta = parse_text(load_report(f)).meta
    assert meta.region.district == district
    assert meta.issuer == issuer


@pytest.mark.parametrize("text", ["全市各区", "两个区", "这个区", "各个区", "一个县", "依法治区", "员全省", "度全省"])
def test_words_that_merely_end_in_a_level_are_not_places(text: str) -> None:
    from bot.text.places import mentions

    assert mentions(text) == []
