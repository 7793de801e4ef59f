"""Verification against what a real model wrote: outputs of the local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M
through `python -m bot llm serve`) on questions of the tuning set, replayed through the scripted server.

Each `OBSERVED_*` text is a model's output as it came (only the block numbers are re-resolved, since the index
here is built with HashEmbedder and may order blocks differently); the comment says what it did wrong.
Cases not yet seen from the real model are tested on the functions alone: tests/unit/test_grounding_rules.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.answer.llm import UNVERIFIED, make_llm_answerer
from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexHandle
from tests.conftest import SAMPLES_DIR
from tests.fake_openai import ScriptedOpenAI


def ask(hash_index_dir: Path, url: str, context: str, question: str) -> Any:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, index_dir=hash_index_dir, llm_base_url=url, llm_model="replay", llm_context=context
    )
    return ReportQA(IndexHandle(hash_index_dir, settings), HashEmbedder(), llm=make_llm_answerer(settings)).ask(
        question
    )


def replay(template: str, **needles: str) -> Callable[[list[dict[str, Any]]], str]:
    """The observed text with {name} → the number of the block holding needles[name] (or, for a needle written
    "!text", of the first block that does not hold text)."""

    def script(messages: list[dict[str, Any]]) -> str:
        blocks = {
            int(m.group(1)): m.group(2)
            for m in re.finditer(
                r"^\[(\d{1,2})\] (.*?)(?=^\[\d{1,2}\] |^问题：|\Z)", messages[-1]["content"], re.S | re.M
            )
        }
        numbers = {}
        for name, needle in needles.items():
            if needle.startswith("!"):
                numbers[name] = next(n for n, text in blocks.items() if needle[1:] not in text)
            else:
                found = [n for n, text in blocks.items() if needle in text]
                assert found, f"no block holds {needle!r}"
                numbers[name] = found[0]
        return template.format(**numbers)

    return script


def citations_slice_the_files(answer: Any) -> bool:
    for c in answer.citations:
        text = (SAMPLES_DIR / c.source).read_text(encoding="utf-8-sig")
        if text[c.start : c.end] != c.quote:
            return False
    return True


# q104 (unanswerable: the report names no law firm). The model made one up and cited a block about the adviser.
OBSERVED_INVENTED = "白云区人社局的法律顾问是广州市白云区法律事务所[{n}]。"


def test_an_invented_answer_is_replaced_by_the_extractive_one(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = replay(OBSERVED_INVENTED, n="法律顾问")
    ans = ask(hash_index_dir, scripted_llm[1], "sentences", "白云区人社局的法律顾问是哪家律师事务所的？")
    assert ans.mode == "extractive"
    assert "not in the blocks it cites" in (ans.reason or "")
    assert "白云区法律事务所" not in ans.answer


# q052: the date is in one block, the model cited another.
OBSERVED_WRONG_BLOCK = "海珠区就业专项资金审核系统于2017年8月正式投入使用[{n}]。"


def test_a_fact_cited_to_the_wrong_block_gets_the_block_that_holds_it(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = replay(OBSERVED_WRONG_BLOCK, n="!2017年8月")
    ans = ask(hash_index_dir, scripted_llm[1], "sentences", "海珠区就业专项资金审核系统什么时候开始用的？")
    assert ans.mode == "generative" and UNVERIFIED not in ans.answer
    assert any("2017年8月" in c.quote for c in ans.citations)
    assert "is in block" in (ans.reason or "")
    assert all("2017年8月" in c.quote for c in ans.citations)  # the block it wrongly cited is cited no more
    assert citations_slice_the_files(ans)


# q094: a percentage that no block holds (海珠区's is 97.71%); 100% is 白云区's 网办率, which a block holds.
OBSERVED_NUMBER = "白云区的网上办理比例为100%[{a}]。海珠区的网上办理比例为99.3%[{b}]。"


def test_a_number_in_no_block_is_marked(hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]) -> None:
    scripted_llm[0].script = replay(OBSERVED_NUMBER, a="网办率为100%", b="海珠区")
    ans = ask(hash_index_dir, scripted_llm[1], "chunks", "白云区和海珠区的网上办理比例分别是多少？")
    assert ans.mode == "generative"
    assert "99.3" + UNVERIFIED in ans.answer and "100" + UNVERIFIED not in ans.answer
    assert "99.3 is in no block given" in (ans.reason or "")


# q053: a right answer with no reference at all.
OBSERVED_NO_REFERENCE = (
    "海珠区人社局2017年制定了《海珠区创新创业（孵化）示范基地认定管理办法》（海人社发〔2017〕9 号）一部规范性文件。"
)


def test_an_answer_without_a_reference_gets_the_block_that_holds_it(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = replay(OBSERVED_NO_REFERENCE)
    ans = ask(hash_index_dir, scripted_llm[1], "sentences", "海珠区人社局2017年出了哪部规范性文件？")
    assert ans.mode == "generative" and ans.answer.endswith("[1]。")
    assert "示范基地认定管理办法" in ans.citations[0].quote
    assert "reference [" in (ans.reason or "") and citations_slice_the_files(ans)


# q069 (list): the model stopped at the lead-in of the list it was asked for.
OBSERVED_LEAD_IN = "海珠区人社局2018年准备从以下几方面入手：[{n}]"


def test_an_answer_whose_only_fact_is_in_no_block_is_replaced(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = replay("海珠区的网上办理比例为99.3%[{b}]。", b="网上办理")  # q094's second sentence alone
    ans = ask(hash_index_dir, scripted_llm[1], "sentences", "白云区和海珠区的网上办理比例分别是多少？")
    assert ans.mode == "extractive" and "not in the blocks it cites" in (ans.reason or "")


def test_an_answer_that_stops_at_its_lead_in_falls_back(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = replay(OBSERVED_LEAD_IN, n="以下几方面入手")
    ans = ask(hash_index_dir, scripted_llm[1], "sentences", "海珠区人社局2018年准备从哪几方面入手？")
    assert ans.mode == "extractive" and "lead-in" in (ans.reason or "")


# q011 with whole chunks in the prompt: the model echoed the blocks' headers and "refused" with one of them.
OBSERVED_ECHO = (
    "[5] 嘉定区人力资源和社会保障局2023年度法治政府建设情况报告》 三、切实履行推进法治政府建设第一责任人职责 > "
    "(一)坚持法治引领,夯实依法行政基础\n"
    "[6] 嘉定区人力资源和社会保障局2023年度法治政府建设情况报告》 三、切实履行推进法治政府建设第一责任人职责 > "
    "(二)坚持法治引领,夯实依法行政基础\n"
    "CANNOT_ANSWER 嘉定区人力资源和社会保障局2023年度法治政府建设情况报告》 "
    "三、切实履行推进法治政府建设第一责任人职责 > (一)坚持法治引领,夯实依法行政基础"
)


def test_echoed_block_headers_are_no_answer_and_no_refusal(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = lambda _m: OBSERVED_ECHO
    ans = ask(hash_index_dir, scripted_llm[1], "chunks", "嘉定人社局2023年制订了几件规范性文件？")
    assert ans.mode == "extractive" and "LLM unavailable" in (ans.reason or "")


# q101 (unanswerable, 2021 is not covered): with whole chunks, the model gave the prompt's own example refusal.
OBSERVED_EXAMPLE_REFUSAL = "CANNOT_ANSWER 报告中没有提到2021年的数据；现有资料只覆盖2020年[1]。"


def test_a_refusal_keeps_the_year_of_the_question_unmarked(
    hash_index_dir: Path, scripted_llm: tuple[ScriptedOpenAI, str]
) -> None:
    scripted_llm[0].script = lambda _m: OBSERVED_EXAMPLE_REFUSAL
    ans = ask(hash_index_dir, scripted_llm[1], "chunks", "两江新区2021年受理了多少劳动争议案件？")
    if ans.mode == "extractive":  # the metadata already says 2021 is not covered: no model call at all
        assert ans.answerable is False
        return
    assert ans.answerable is False and "2021" + UNVERIFIED not in ans.answer
