"""Questions about the collection itself are answered from metadata, each report cited at its title."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import ReportQA
from ingest.load import load_report
from tests.conftest import fixture_qa


def _reports(*specs: tuple[str, str, str, str]) -> dict[str, str]:
    """Fixture reports (file, title line, opening paragraph, the one measure of its one section)."""
    return {f: f"{title}\n\n{opening}\n\n一、主要举措\n\n（一）{measure}\n" for f, title, opening, measure in specs}


REPORTS = _reports(
    (
        "a.txt",
        "长沙市岳麓区人力资源和社会保障局2021年法治政府建设年度报告",
        "2021年，我局坚持依法行政。",
        "规范执法。全年办理劳动监察案件40件。",
    ),
    (
        "b.txt",
        "长沙市天心区人力资源和社会保障局2022年法治政府建设年度报告",
        "2022年，我局推进法治建设。",
        "化解争议。全年受理仲裁案件300件。",
    ),
    (
        "c.txt",
        "成都市人力资源和社会保障局2022年法治政府建设年度报告",
        "2022年，我局扎实推进依法行政。",
        "优化服务。全年新增就业5万人。",
    ),
)


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    return fixture_qa(tmp_path_factory.mktemp("catalog"), REPORTS)  # type: ignore[no-any-return]


def _cited_sources(answer) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.source for c in answer.citations]


def test_how_many_reports_lists_every_report_each_cited_at_its_title(qa: ReportQA) -> None:
    ans = qa.ask("一共有几份报告？")
    assert ans.answerable
    assert "3份" in ans.answer
    assert sorted(_cited_sources(ans)) == ["a.txt", "b.txt", "c.txt"]
    folder: Path = qa.reports_dir  # type: ignore[attr-defined]
    for c in ans.citations:
        text = load_report(folder / c.source, folder).text
        assert text[c.start : c.end] == c.quote
        assert c.quote.endswith("年度报告")


def test_the_reports_of_a_citys_districts_are_listed(qa: ReportQA) -> None:
    ans = qa.ask("这几份报告里哪几份是长沙市下面区里的？")
    assert ans.answerable
    assert sorted(_cited_sources(ans)) == ["a.txt", "b.txt"]
    assert "成都" not in ans.answer


def test_the_years_of_the_reports_are_given(qa: ReportQA) -> None:
    ans = qa.ask("这些报告分别是哪一年的？")
    assert ans.answerable
    assert all(y in ans.answer for y in ("2021年", "2022年"))


def test_a_question_about_report_contents_is_not_a_collection_question(qa: ReportQA) -> None:
    ans = qa.ask("哪份报告提到了仲裁案件？")
    assert "份：" not in ans.answer  # answered from the text, not as a list of the reports


@pytest.mark.parametrize(
    ("question", "first"),
    [
        # however the question is put: numerals, adverbs, pronouns and one-character verbs ask nothing of the text
        ("三份里面哪份是最早的？", "a.txt"),
        ("哪份报告出得最早？", "a.txt"),
        ("长沙那边的是哪几份？", "a.txt"),
        ("说2021年情况的是哪一份？", "a.txt"),
        ("有成都的报告没有？", "c.txt"),
    ],
)
def test_a_collection_question_in_everyday_words_is_answered_from_the_metadata(
    qa: ReportQA, question: str, first: str
) -> None:
    ans = qa.ask(question)
    assert ans.answerable and ans.reason == "answered from the reports' metadata", ans.answer
    assert _cited_sources(ans)[0] == first


@pytest.mark.parametrize("question", ["哪几份报告讲了仲裁？", "哪份报告花钱最多？", "三份报告里哪份就业做得好？"])
def test_a_noun_or_verb_of_the_reports_contents_makes_a_question_about_the_text(qa: ReportQA, question: str) -> None:
    assert qa.ask(question).reason != "answered from the reports' metadata"


def test_the_reports_are_put_in_the_order_of_their_years_when_asked(qa: ReportQA) -> None:
    ans = qa.ask("把这几份按年份从晚到早排一下")
    assert ans.answerable and _cited_sources(ans)[-1] == "a.txt"
    assert _cited_sources(qa.ask("把这几份按年份从早到晚排一下"))[0] == "a.txt"


def test_the_earliest_and_the_latest_report_are_found_by_their_years(qa: ReportQA) -> None:
    earliest = qa.ask("哪份报告时间最早？")
    assert earliest.answerable and _cited_sources(earliest) == ["a.txt"]
    latest = qa.ask("最新的是哪一份？")
    assert latest.answerable and _cited_sources(latest)[0] in ("b.txt", "c.txt")
    assert "2022年" in latest.answer


def test_that_report_of_a_place_is_named_with_its_district(qa: ReportQA) -> None:
    ans = qa.ask("成都那份是哪个区的？")
    assert ans.answerable and _cited_sources(ans) == ["c.txt"]
    assert "成都市" in ans.answer


def test_a_place_no_report_is_about_gets_no_and_the_reports_there_are(qa: ReportQA) -> None:
    ans = qa.ask("有没有天津的报告？")
    assert ans.answerable and ans.answer.startswith("没有天津市的报告")
    assert sorted(_cited_sources(ans)) == ["a.txt", "b.txt", "c.txt"]


def test_a_question_about_one_reports_contents_is_not_a_collection_question(qa: ReportQA) -> None:
    ans = qa.ask("天心区那份报告里受理了多少仲裁案件？")
    assert "300件" in ans.answer and "份：" not in ans.answer


LEVELS = _reports(
    (
        "p.txt",
        "湖南省人民政府关于2019—2021年法治政府建设情况的报告",
        "2019年以来，全省扎实推进依法行政。",
        "完善制度。三年制定地方性法规草案12件。",
    ),
    (
        "m.txt",
        "株洲市人力资源和社会保障局2021年法治政府建设年度报告",
        "2021年，我局坚持依法行政。",
        "规范执法。全年办理劳动监察案件60件。",
    ),
    (
        "d.txt",
        "株洲市芦淞区人力资源和社会保障局2021年法治政府建设年度报告",
        "2021年，我局推进法治建设。",
        "化解争议。全年受理仲裁案件90件。",
    ),
)


@pytest.fixture(scope="module")
def levels(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    return fixture_qa(tmp_path_factory.mktemp("levels"), LEVELS)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("question", "sources"),
    [
        ("哪些报告是区一级的？", ["d.txt"]),
        ("有没有市一级部门出的报告？", ["m.txt"]),
        ("库里有省级单位的报告吗", ["p.txt"]),
        ("哪份报告讲了好几年的工作？", ["p.txt"]),
        ("2021年的报告有哪些？", ["d.txt", "m.txt", "p.txt"]),
    ],
)
def test_reports_are_selected_by_the_level_of_their_body_and_the_years_they_cover(
    levels: ReportQA, question: str, sources: list[str]
) -> None:
    ans = levels.ask(question)
    assert ans.answerable and ans.reason == "answered from the reports' metadata"
    assert sorted(_cited_sources(ans)) == sources


def test_a_yes_no_question_about_the_collection_is_answered_yes_first(levels: ReportQA) -> None:
    assert levels.ask("有没有株洲的报告？").answer.startswith("有，")
    town = levels.ask("有没有街道的报告？")  # no town is made of the question's words
    assert not town.answerable and "有没有" not in town.answer


def test_a_single_report_is_named_by_its_own_title_and_years(levels: ReportQA) -> None:
    ans = levels.ask("哪份报告讲了好几年的工作？")
    assert ans.answer.startswith("《湖南省人民政府关于2019—2021年法治政府建设情况的报告》")
    title = levels.ask("芦淞区那份报告的标题是什么")
    assert title.answer.startswith("《株洲市芦淞区人力资源和社会保障局2021年法治政府建设年度报告》")
    assert _cited_sources(title) == ["d.txt"]


def test_a_listed_report_gives_its_years_in_its_own_words(tmp_path: Path) -> None:
    reports = _reports(
        ("y.txt", "长沙县司法局2022年度法治政府建设情况报告", "2022年，我局坚持依法行政。", "办理复议案件3件。")
    )
    qa = fixture_qa(tmp_path, reports)
    ans = qa.ask("有没有长沙县的报告？")
    assert ans.answerable and "2022年度" in ans.answer


def test_the_report_covering_the_most_years_and_the_latest_one_are_found(levels: ReportQA) -> None:
    widest = levels.ask("哪份报告讲的年份最多？")
    assert widest.answerable and _cited_sources(widest) == ["p.txt"] and "共3年" in widest.answer
    latest = levels.ask("最新的一份报告是哪个单位的？")
    assert latest.answerable and latest.reason == "answered from the reports' metadata"


def test_a_date_the_report_does_not_give_is_said_to_be_missing(levels: ReportQA) -> None:
    ans = levels.ask("芦淞区那份报告是什么时候发布的？")
    assert not ans.answerable and "没有写明发布日期" in ans.answer and _cited_sources(ans) == ["d.txt"]


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    """Two pages dated by their fields: a field above the title, and a 来源/发布时间 line below it."""
    return fixture_qa(  # type: ignore[no-any-return]
        tmp_path_factory.mktemp("dated"),
        {
            "d.txt": "- 索 引 号:370402/2026-00031\n- 发文时间:2026年02月27日\n"
            "枣庄市市中区司法局2025年度法治政府建设情况报告\n\n2025年，区司法局坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
            "p.txt": "株洲市芦淞区2025年度法治政府建设情况报告\n来源:芦淞区人民政府办公室 发布时间:2026-03-28 09:18\n\n"
            "2025年，芦淞区坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
        },
    )


def test_a_reports_date_is_given_as_its_page_writes_it(dated: ReportQA) -> None:
    ans = dated.ask("市中区司法局那份报告是哪天发布的？")
    assert ans.answerable and "2026年02月27日" in ans.answer, ans.answer
    assert any("2026年02月27日" in c.quote for c in ans.citations)


def test_who_posted_a_report_is_read_off_its_date_line(dated: ReportQA) -> None:
    ans = dated.ask("芦淞区2025年度法治政府建设情况报告是哪个单位发的、哪天发布的？")
    assert ans.answerable and "芦淞区人民政府办公室" in ans.answer and "2026-03-28" in ans.answer, ans.answer


@pytest.fixture(scope="module")
def spans(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    """A report of several years that says so in its own words, dated day first, beside a one-year report."""
    return fixture_qa(  # type: ignore[no-any-return]
        tmp_path_factory.mktemp("spans"),
        {
            "w.txt": "长沙市司法局关于本届政府以来推进依法行政工作情况的报告\n\n21.02.2022  16:07\n\n"
            "2018年以来，我局坚持依法行政。\n\n一、主要举措\n\n办案3件。\n",
            "y.txt": "长沙市岳麓区司法局2023年度法治政府建设情况报告\n\n2023年，区司法局坚持依法行政。\n\n"
            "一、主要举措\n\n办案5件。\n",
        },
    )


def test_a_reports_span_and_date_are_given_in_its_own_words(spans: ReportQA) -> None:
    ans = spans.ask("哪份报告最早？")
    assert ans.answerable and _cited_sources(ans)[0] == "w.txt", ans.answer
    assert "2018年以来" in ans.answer and "21.02.2022" in ans.answer, ans.answer
    listed = spans.ask("这两份报告各讲的哪几年？")
    assert "2023年度" in listed.answer and "2018年以来" in listed.answer, listed.answer


def test_a_document_the_text_cites_is_no_question_about_the_collection(qa: ReportQA) -> None:
    # 文件 may be a document the report follows, not one of the reports: asked about the text
    assert qa.ask("岳麓区推法治建设是按哪个文件来的？").reason != "answered from the reports' metadata"
