"""A comparison of two reports' numbers stays short: each side by the clause of its number."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import ReportQA
from tests.conftest import fixture_qa

REPORTS = {
    "a.txt": "长沙市岳麓区人力资源和社会保障局2023年法治政府建设年度报告\n\n一、主要举措\n\n"
    "加大欠薪治理力度，对情节严重、影响恶劣的12宗欠薪逃匿案件依法移送公安机关处理，欠薪逃匿行为得到公安机关有效遏制。\n",
    "b.txt": "长沙市天心区人力资源和社会保障局2023年法治政府建设年度报告\n\n一、主要举措\n\n"
    "强化行刑衔接，公安机关对我局移送的 9 宗欠薪逃匿案件及时立案处理，严厉打击恶意欠薪逃匿行为。\n",
}


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    return fixture_qa(tmp_path_factory.mktemp("compare"), REPORTS)  # type: ignore[no-any-return]


def test_a_long_comparison_gives_each_side_by_the_clause_of_its_number(qa: ReportQA) -> None:
    ans = qa.ask("岳麓区和天心区移送公安的欠薪逃匿案件，哪边多？")
    assert ans.answerable, ans.answer
    assert "12宗" in ans.answer and "9 宗" in ans.answer, ans.answer
    assert ans.answer.startswith("岳麓区2023年更多。"), ans.answer
    assert "严厉打击" not in ans.answer and "有效遏制" not in ans.answer, ans.answer


def test_a_side_cut_to_its_number_keeps_the_clause_beside_the_asked_words(qa: ReportQA) -> None:
    from bot.answer.extractive.answerer import fact_clauses
    from bot.answer.extractive.spans import Piece

    prep = qa.prepare("天心区移送公安的欠薪逃匿案件有多少宗？")
    ctx = qa.extractive._context(prep.query, prep.hits, prep.data)
    chunk = next(h.chunk for h in prep.hits if "9 宗" in h.chunk.text)
    a = chunk.text.index("公安机关对我局")
    b = chunk.text.index("。", a)
    cut = fact_clauses(ctx, Piece(chunk, a, b))
    assert cut.text == "公安机关对我局移送的 9 宗欠薪逃匿案件及时立案处理", cut.text


def test_a_year_the_report_names_only_as_its_plans_year_answers_only_questions_about_plans(tmp_path: Path) -> None:
    qa2 = fixture_qa(
        tmp_path,
        {
            "p.txt": "长沙市岳麓区司法局2023年法治政府建设年度报告\n\n一、主要成效\n\n全年办理行政复议案件40件。\n\n"
            "二、下一步计划\n\n2024年我局将继续深化行政复议体制改革，提升依法行政水平。\n"
        },
    )
    assert not qa2.ask("岳麓区司法局2024年行政复议改革的成效怎么样？").answerable
    assert qa2.ask("岳麓区司法局2024年打算怎么推进行政复议改革？").answerable
