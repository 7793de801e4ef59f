"""The answerer end to end on reports no tuning ever saw (tests/fixtures/unseen), and its contract.

The unseen reports are written in the same official style as the samples but were never looked at while
the answerer was tuned; their questions check generalisation, not memorisation.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from bot.embed import make_embedder
from bot.pipeline import ReportQA
from bot.retrieve.hybrid import RetrievalParams
from bot.settings import Settings
from bot.store import IndexHandle
from bot.types import HistoryTurn
from ingest.index import ingest
from ingest.load import load_report
from tests.conftest import REPO, SAMPLE_NAMES, SAMPLES_DIR, UNSEEN_DIR

UNSEEN_QUESTIONS = [
    json.loads(x) for x in (UNSEEN_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines() if x
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> ReportQA:
    """Samples + unseen reports, indexed with the real bundled embedder (vectors cached across runs)."""
    root = tmp_path_factory.mktemp("answering")
    reports = root / "reports"
    reports.mkdir()
    for name in SAMPLE_NAMES:
        shutil.copyfile(SAMPLES_DIR / name, reports / name)
    for f in UNSEEN_DIR.glob("*.txt"):
        shutil.copyfile(f, reports / f.name)
    settings = Settings(_env_file=None, index_dir=root / "index", cache_dir=REPO / ".data" / "cache")  # type: ignore[call-arg]
    embedder = make_embedder(settings)
    ingest([reports], settings, embedder)
    return ReportQA(
        IndexHandle(settings.index_dir, settings), embedder, retrieval=RetrievalParams(k=settings.retrieval_k)
    )


def _text_of(source: str) -> str:
    path = UNSEEN_DIR / source if (UNSEEN_DIR / source).exists() else SAMPLES_DIR / source
    return load_report(path).text


def _norm(s: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", s).split())


@pytest.mark.parametrize("item", [q for q in UNSEEN_QUESTIONS if q["answerable"]], ids=lambda q: q["id"])
def test_answers_questions_about_an_unseen_report_with_correct_citations(qa: ReportQA, item: dict[str, Any]) -> None:
    ans = qa.ask(item["question"])
    assert ans.answerable, ans.answer
    for fact in item["must_include"]:
        assert _norm(fact) in _norm(ans.answer), (fact, ans.answer)
    text = _text_of(item["file"])
    q_start = text.index(item["quote"])
    q_end = q_start + len(item["quote"])
    assert any(c.source == item["file"] and c.start < q_end and q_start < c.end for c in ans.citations), ans.citations
    for c in ans.citations:
        assert _text_of(c.source)[c.start : c.end] == c.quote


@pytest.mark.parametrize("item", [q for q in UNSEEN_QUESTIONS if not q["answerable"]], ids=lambda q: q["id"])
def test_refuses_near_miss_questions_about_an_unseen_report(qa: ReportQA, item: dict[str, Any]) -> None:
    ans = qa.ask(item["question"])
    assert ans.answerable is False, ans.answer
    assert ans.answer.startswith(("报告中没有", "现有报告中没有"))


def test_follow_up_inherits_the_region_and_swaps_the_entity(qa: ReportQA) -> None:
    history = [
        HistoryTurn(role="user", content="坪山区人力资源局2021年一共立案查处了多少件欠薪案子？"),
        HistoryTurn(role="assistant", content="立案查处欠薪案件126件。"),
    ]
    ans = qa.ask("那徐汇区2019年劳动保障监察立案查处了多少件？", history)
    assert "213件" in ans.answer
    follow = qa.ask("结案率是多少？", [HistoryTurn(role="user", content="徐汇区2019年劳动人事争议仲裁受理了多少件？")])
    assert "95.1%" in follow.answer


def test_refusal_names_what_the_reports_cover(qa: ReportQA) -> None:
    ans = qa.ask("白云区人社局2021年出庭应诉了几次？")
    assert ans.answerable is False and "2020年" in ans.answer


def test_every_citation_slices_its_file_and_an_answer_names_a_report_the_user_did_not(qa: ReportQA) -> None:
    for q, named in [
        ("嘉定区人社局2023年办了多少行政复议和应诉案件？", True),
        ("海珠区人社局2017年报告里提了哪些问题？", True),
        ("两江新区2020年存在哪些问题？", True),
        ("工会公益律师专窗开在哪里？", False),
    ]:
        ans = qa.ask(q)
        assert ans.answerable and ans.citations
        # the user named the report: its name is not repeated (the citations carry the title)
        assert ans.answer.startswith("根据") is not named, ans.answer
        for c in ans.citations:
            assert load_report(SAMPLES_DIR / c.source).text[c.start : c.end] == c.quote


def test_a_question_across_the_reports_answers_from_each_report_that_holds_it(qa: ReportQA) -> None:
    ans = qa.ask("哪个区的行政复议案件最多？")
    sources = {c.source for c in ans.citations}
    assert ans.answerable and len(sources) >= 2, ans.answer
    for c in ans.citations:
        assert _norm(_text_of(c.source)[c.start : c.end]) == _norm(c.quote)
        assert "复议" in c.quote


def test_a_comparison_names_each_side_by_its_place_and_year(qa: ReportQA) -> None:
    ans = qa.ask("徐汇区和坪山区的行政复议案件各有多少？")
    assert ans.answerable and len({c.source for c in ans.citations}) == 2, ans.answer
    assert ans.answer.count("：") >= 2 and "根据" not in ans.answer, ans.answer


def test_a_sentence_two_chunks_cut_is_weighed_whole(tmp_path: Any) -> None:
    """The asked terms in one chunk's half of a long sentence, the asked number in the other's: it answers."""
    from bot.embed import HashEmbedder

    items = "、".join(f"第{i}类事项的办理流程与公开标准" for i in range(1, 19))
    text = (
        "某县统计局2024年政务公开工作报告\n\n一、主要工作\n\n"
        f"2024年，我局梳理细化基层政务公开事项，完善{items}等156项公开内容，明确公开渠道和公开责任。\n\n"
        "二、下一步工作\n\n继续做好政务公开工作。\n"
    )
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "tongji_2024.txt").write_text(text, encoding="utf-8")
    settings = Settings(_env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", chunk_tokens=120)  # type: ignore[call-arg]
    ingest([reports], settings, HashEmbedder())
    handle = IndexHandle(settings.index_dir, settings)
    chunks = [c for c in handle.get().chunks if "156项" in c.text or "细化" in c.text]
    assert not any("细化" in c.text and "156项" in c.text for c in chunks)  # the sentence is cut
    qa = ReportQA(handle, HashEmbedder(), retrieval=RetrievalParams(k=settings.retrieval_k))
    ans = qa.ask("某县统计局2024年细化完善了多少项公开内容？")
    assert ans.answerable and "156项" in ans.answer
    assert all(text[c.start : c.end] == c.quote for c in ans.citations)
