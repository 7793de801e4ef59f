"""Generative mode against a scripted OpenAI-compatible server on 127.0.0.1, through the real clients.

LangChain's ChatOpenAI (and underneath it the official openai client) talks HTTP to a FastAPI app that
plays the model. Each test scripts what the "model" says and checks what the bot does with it, on the neutral
fixture (tests/fixtures/neutral): the answers asserted are the scripted ones and the fixture's made-up facts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answer.llm import UNVERIFIED, LLMAnswerer, make_llm_answerer
from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexHandle
from tests.conftest import NEUTRAL_FACT, NEUTRAL_Q, neutral_text
from tests.fake_openai import ScriptedOpenAI, block_with, free_port

QUESTION = NEUTRAL_Q
NEEDLE = NEUTRAL_FACT  # 行政复议案件73件
SAID = "2022年红塔区人社局办理" + NEEDLE  # what the scripted model says, citing the block with NEEDLE
UNKNOWN = "红塔区人社局的法律顾问是哪家律师事务所的？"  # the fixture does not say


@pytest.fixture(scope="module")
def index_dir(neutral_index: Settings) -> Path:
    return neutral_index.index_dir


@pytest.fixture(scope="module")
def fake(scripted_llm: tuple[ScriptedOpenAI, str]) -> tuple[ScriptedOpenAI, str]:
    return scripted_llm


@pytest.fixture
def model(fake: tuple[ScriptedOpenAI, str]) -> Iterator[ScriptedOpenAI]:
    server, _ = fake
    server.status, server.requests, server.hold, server.endless, server.replied = 200, [], None, False, 0
    yield server
    if server.hold is not None:
        server.hold.set()  # let a held reply go, so that the server's next test starts clean


def make_qa(index_dir: Path, base_url: str, timeout: float = 5.0, budget: float = 60.0, gate: bool = False) -> ReportQA:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        index_dir=index_dir,
        llm_base_url=base_url,
        llm_model="scripted",
        llm_timeout=timeout,
        llm_budget=budget,
        llm_gate=gate,
    )
    llm = make_llm_answerer(settings)
    return ReportQA(IndexHandle(index_dir, settings), HashEmbedder(), llm=llm)


def cite_block(needle: str, sentence: str) -> Any:
    def script(messages: list[dict[str, Any]]) -> str:
        found = block_with(messages, needle)
        n = found[0] if found else 1
        return f"{sentence}[{n}]。"

    return script


def assert_citations_slice_the_files(answer: Any) -> None:
    for c in answer.citations:
        assert neutral_text(c.source)[c.start : c.end] == c.quote


def test_generative_answer_cites_the_block_the_model_referenced(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = cite_block(NEEDLE, SAID)
    ans = make_qa(index_dir, fake[1]).ask(QUESTION)
    assert ans.mode == "generative" and ans.answerable
    assert NEEDLE in ans.answer and "[1]" in ans.answer
    assert len(ans.citations) == 1
    assert NEEDLE in ans.citations[0].quote
    assert_citations_slice_the_files(ans)
    # the prompt carried numbered blocks and the Chinese rules
    sent = model.requests[-1]["messages"]
    assert sent[0]["role"] == "system" and "CANNOT_ANSWER" in sent[0]["content"]
    assert "[1]" in sent[-1]["content"] and QUESTION in sent[-1]["content"]


def test_reference_to_a_block_that_was_not_retrieved_is_dropped(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    def script(messages: list[dict[str, Any]]) -> str:
        n = (block_with(messages, NEEDLE) or (1, ""))[0]
        return f"{SAID}[{n}]，另见[42]。"

    model.script = script
    ans = make_qa(index_dir, fake[1]).ask(QUESTION)
    assert "[42]" not in ans.answer
    assert len(ans.citations) == 1 and "[1]" in ans.answer


def test_number_missing_from_the_cited_blocks_is_marked(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = cite_block(NEEDLE, SAID + "，其中局长出庭9999件")
    ans = make_qa(index_dir, fake[1]).ask(QUESTION)
    assert "9999" + UNVERIFIED in ans.answer
    assert NEEDLE in ans.answer and "73件" + UNVERIFIED not in ans.answer  # a supported number stays as it is


def test_cannot_answer_becomes_an_honest_refusal(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = lambda _m: "CANNOT_ANSWER 报告中没有提到法律顾问所在的律师事务所[1]。"
    ans = make_qa(index_dir, fake[1]).ask(UNKNOWN)
    assert ans.answerable is False and ans.mode == "generative"
    assert "CANNOT_ANSWER" not in ans.answer and "律师事务所" in ans.answer


def test_garbage_from_the_model_falls_back_to_extractive(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = lambda _m: "lorem ipsum 42"
    ans = make_qa(index_dir, fake[1]).ask(QUESTION)
    assert ans.mode == "extractive"
    assert ans.reason and "LLM unavailable" in ans.reason


def test_an_answer_without_any_reference_falls_back(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = lambda _m: "行政复议案件办了很多。"
    ans = make_qa(index_dir, fake[1]).ask(QUESTION)
    assert ans.mode == "extractive" and "cites no retrieved block" in (ans.reason or "")


def test_failing_endpoint_falls_back_to_extractive(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.status = 500
    ans = make_qa(index_dir, fake[1]).ask(QUESTION)
    assert ans.mode == "extractive" and ans.citations
    assert "500" in (ans.reason or "")


def test_endpoint_that_is_down_falls_back_to_extractive(index_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    ans = make_qa(index_dir, url).ask(QUESTION)
    assert ans.mode == "extractive" and ans.answerable


def test_slow_endpoint_falls_back_within_the_timeout(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.hold = threading.Event()  # the model answers only when the test lets it
    ans = make_qa(index_dir, fake[1], timeout=0.5).ask(QUESTION)
    assert model.requests and model.replied == 0  # it did not wait for the slow answer
    assert ans.mode == "extractive"
    assert "Timeout" in (ans.reason or "")


def test_an_answer_past_the_budget_is_replaced_by_the_extractive_one_with_the_reason(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = cite_block(NEEDLE, SAID + "，" + "依法履职" * 20)
    model.endless = True  # a model that never stops writing: only the budget can end the answer
    ans = make_qa(index_dir, fake[1], budget=1.0).ask(QUESTION)
    assert ans.mode == "extractive" and ans.answerable
    assert "1 s budget" in (ans.reason or "")
    events = list(make_qa(index_dir, fake[1], budget=1.0).stream(QUESTION))
    assert ("reset", None) in events  # what had streamed is withdrawn
    assert events[-1][1].mode == "extractive" and "budget" in (events[-1][1].reason or "")


def test_the_answer_length_is_bounded(index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI) -> None:
    model.script = cite_block(NEEDLE, SAID)
    make_qa(index_dir, fake[1]).ask(QUESTION)
    sent = model.requests[-1]
    assert (
        sent.get("max_tokens", sent.get("max_completion_tokens")) == Settings.model_fields["llm_max_tokens"].default
    ), sent.keys()


def test_tokens_stream_and_the_final_answer_is_verified(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = cite_block(NEEDLE, SAID)
    events = list(make_qa(index_dir, fake[1]).stream(QUESTION))
    deltas = [e[1] for e in events if e[0] == "delta"]
    assert len(deltas) > 3  # the scripted server sends four characters per chunk
    kind, final = events[-1]
    assert kind == "answer" and final.mode == "generative"
    assert "".join(deltas).replace("[1]", "") in final.answer.replace("[1]", "") + "。"
    assert final.citations and NEEDLE in final.citations[0].quote
    assert model.requests[-1].get("stream") is True


def test_with_the_gate_weak_evidence_is_refused_without_asking_the_model(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    model.script = lambda _m: "红塔区人社局的法律顾问是玉溪市红塔区法律事务所[1]。"  # what a small model invents
    qa = make_qa(index_dir, fake[1], gate=True)
    ans = qa.ask(UNKNOWN)
    assert ans.answerable is False and model.requests == []
    assert "answer gate" in (ans.reason or "")
    events = list(qa.stream(UNKNOWN))
    assert events[-1][1].answerable is False and model.requests == []
    model.script = cite_block(NEEDLE, SAID)
    assert qa.ask(QUESTION).mode == "generative" and len(model.requests) == 1  # evidence above the gate: asked


def test_metadata_refusal_needs_no_llm_call(
    index_dir: Path, fake: tuple[ScriptedOpenAI, str], model: ScriptedOpenAI
) -> None:
    ans = make_qa(index_dir, fake[1]).ask("天河区人社局2020年全流程网办率多少？")
    assert ans.answerable is False and model.requests == []


def test_llm_answerer_refuses_an_empty_block_budget() -> None:
    with pytest.raises(Exception, match="max_blocks"):
        LLMAnswerer(chat=None, max_blocks=0)
    with pytest.raises(Exception, match="budget"):
        LLMAnswerer(chat=None, budget=0)
