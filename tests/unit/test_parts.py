"""A question asking several numbers gets each from the clause that answers its part."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import ReportQA
from ingest.load import load_report
from tests.conftest import fixture_qa

REPORTS = {
    "gk.txt": "株洲市芦淞区司法局2025年政府信息公开工作年度报告\n\n一、总体情况\n\n"
    "（一）依申请公开情况。全年共收到政府信息公开申请12件。全年答复申请9件,未答复3件,均为内部事务信息。\n\n"
    "（二）主动公开情况。全年通过门户网站主动公开各类信息640条,其中:机构职能类信息15条;政策文件类信息81条;"
    "行政执法类信息203条;工作动态类信息341条。\n\n"
    "二、存在问题\n\n信息发布的及时性还需提高。\n",
    "hf.txt": "株洲市荷塘区金山街道2025年法治政府建设情况报告\n\n一、主要举措\n\n"
    "全年对重大行政决策、规范性文件及社区合同开展合法性审查316件,覆盖率达100%。其中,规范性文件审查4件,"
    "重大行政决策审查7件,社区合同审查305件。\n\n二、下一步打算\n\n继续加强审查工作。街道办公地址为株洲市荷塘区金山路1号,"
    "邮政编码:412000,联系电话:0731-28280000。\n",
    # a page with no title and no year: which years it covers is not known
    "wj.txt": "根据有关要求，现将荷塘区卫生健康局法治建设情况报告如下。\n\n一、主要举措\n\n"
    "全面落实合法性审查制度，审查各类合同28件。\n",
}


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    return fixture_qa(tmp_path_factory.mktemp("parts"), REPORTS)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        # the first part in the sentence before the one that answers the second
        ("芦淞区司法局2025年收到几件信息公开申请，答复了几件？", ["12件", "9件"]),
        # the subset in the same long sentence, a few clauses on
        ("芦淞区司法局2025年一共主动公开了多少条信息？其中行政执法类多少条？", ["640条", "203条"]),
        # the subset in the sentence after the total
        ("金山街道2025年一共做了多少件合法性审查？其中社区合同占多少件？", ["316件", "305件"]),
        # a count and a yes/no asked together: the count's clause beside the one that answers yes or no
        ("金山街道2025年一共做了多少件合法性审查？有没有审查社区合同？", ["316件", "社区合同审查305件"]),
        # two things joined before 各: the number of each
        ("芦淞区司法局2025年公开的政策文件类信息和工作动态类信息各多少条？", ["81条", "341条"]),
    ],
)
def test_each_asked_number_comes_from_the_clause_of_its_part(qa: ReportQA, question: str, numbers: list[str]) -> None:
    ans = qa.ask(question)
    assert ans.answerable, ans.answer
    for n in numbers:
        assert n in ans.answer, ans.answer
    folder: Path = qa.reports_dir  # type: ignore[attr-defined]
    for c in ans.citations:
        assert load_report(folder / c.source, folder).text[c.start : c.end] == c.quote


def test_a_question_asking_one_number_gets_no_other_clauses(qa: ReportQA) -> None:
    ans = qa.ask("芦淞区司法局2025年收到几件信息公开申请？")
    assert "12件" in ans.answer and "9件" not in ans.answer, ans.answer


def test_a_telephone_number_asked_is_a_telephone_number_not_a_count(qa: ReportQA) -> None:
    ans = qa.ask("金山街道的联系电话是多少？")
    assert ans.answerable and "0731-28280000" in ans.answer, ans.answer
    assert "412000" not in ans.answer  # the postcode beside it is not what was asked


def test_a_report_of_unknown_years_is_not_refused_for_the_year_asked(qa: ReportQA) -> None:
    ans = qa.ask("荷塘区卫健局2024年审查了多少件合同？")
    assert ans.answerable and "28件" in ans.answer, ans.answer


def test_a_table_row_is_read_with_its_header_row(tmp_path: Path) -> None:
    from bot.answer.extractive.scoring import table_header

    table = (
        "信息内容 | 上一年项目数量 | 本年增/减 |\n行政处罚 | 0 | 25 |\n"
        "信息内容 | 采购项目数量 | 采购总金额 |\n政府集中采购 | 9 | 712.18万元 |\n"
    )
    assert table_header(table, table.index("政府集中采购")) == "信息内容 | 采购项目数量 | 采购总金额 |"
    assert table_header(table, table.index("行政处罚")) == "信息内容 | 上一年项目数量 | 本年增/减 |"
    assert table_header("正文一句。\n政府集中采购 | 9 | 712.18万元 |\n", 6) == ""
    qa = fixture_qa(
        tmp_path,
        {
            "t.txt": "株洲市民政局2025年政府信息公开工作年度报告\n\n一、主动公开情况\n\n全年主动公开信息120条。\n\n"
            + table
            + "\n二、存在问题\n\n公开的及时性需提高。\n"
        },
    )
    ans = qa.ask("株洲市民政局2025年政府集中采购有几个项目，一共多少钱？")
    assert ans.answerable and "712.18万元" in ans.answer, ans.answer
