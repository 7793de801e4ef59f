"""The `Answerer` contract, passed by every implementation: the extractive answerer (through ExtractiveAdapter),
the LLM answerer and the FallbackAnswerer around it, each on the neutral fixture's index.

An answer's citations are slices of their report's own text; a stream is deltas (and resets), then exactly one
answer, last; the deltas after the last reset spell the answer's text; streaming and answering give the same
answer. The LLM talks to the scripted OpenAI-compatible server of tests/fake_openai.py on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.answer.base import Answerer, Prepared
from bot.answer.extractive import ExtractiveAdapter, ExtractiveAnswerer
from bot.answer.fallback import FallbackAnswerer
from bot.answer.llm import LLMAnswerer, make_llm_answerer
from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexHandle
from tests.conftest import NEUTRAL_FACT, NEUTRAL_Q, neutral_text
from tests.fake_openai import ScriptedOpenAI, block_with


def _quote_the_fact(messages: list[dict[str, Any]]) -> str:
    found = block_with(messages, NEUTRAL_FACT)
    return f"全年办理{NEUTRAL_FACT}[{found[0] if found else 1}]。"


@pytest.fixture(scope="module")
def llm_settings(neutral_index: Settings, scripted_llm: tuple[ScriptedOpenAI, str]) -> Settings:
    server, url = scripted_llm
    server.script, server.status = _quote_the_fact, 200
    return neutral_index.model_copy(update={"llm_base_url": url, "llm_model": "scripted", "llm_timeout": 5.0})


def _extractive(_s: Settings) -> Answerer:
    return ExtractiveAdapter(ExtractiveAnswerer())


def _llm(s: Settings) -> Answerer:
    fallback = make_llm_answerer(s)
    assert isinstance(fallback.primary, LLMAnswerer)
    return fallback.primary


def _fallback(s: Settings) -> Answerer:
    return make_llm_answerer(s)


def _fallback_gated(s: Settings) -> Answerer:
    return make_llm_answerer(s.model_copy(update={"llm_gate": True}))


ANSWERERS: list[Callable[[Settings], Answerer]] = [_extractive, _llm, _fallback, _fallback_gated]


@pytest.fixture(params=ANSWERERS, ids=lambda f: f.__name__.strip("_"))
def answerer(request: pytest.FixtureRequest, llm_settings: Settings) -> Answerer:
    make: Callable[[Settings], Answerer] = request.param
    return make(llm_settings)


@pytest.fixture(scope="module")
def prep(neutral_index: Settings) -> Prepared:
    return ReportQA(IndexHandle(neutral_index.index_dir, neutral_index), HashEmbedder()).prepare(NEUTRAL_Q)


def _events(it: Iterator[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return list(it)


def test_an_answer_cites_slices_of_its_reports(answerer: Answerer, prep: Prepared) -> None:
    ans = answerer.answer(prep)
    assert ans.answerable and ans.citations
    for c in ans.citations:
        assert neutral_text(c.source)[c.start : c.end] == c.quote
    assert NEUTRAL_FACT in "".join(c.quote for c in ans.citations)


def test_a_stream_is_deltas_then_one_answer_last(answerer: Answerer, prep: Prepared) -> None:
    events = _events(answerer.stream(prep))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1
    assert set(kinds[:-1]) <= {"delta", "reset"} and "delta" in kinds
    last_reset = max((i for i, k in enumerate(kinds) if k == "reset"), default=-1)
    spelled = "".join(p for k, p in events[last_reset + 1 : -1] if k == "delta")
    assert spelled == events[-1][1].answer


def test_streaming_and_answering_give_the_same_answer(answerer: Answerer, prep: Prepared) -> None:
    whole = answerer.answer(prep)
    streamed = _events(answerer.stream(prep))[-1][1]
    assert streamed.answer == whole.answer
    assert [c.model_dump() for c in streamed.citations] == [c.model_dump() for c in whole.citations]


def test_the_fallback_answers_when_the_llm_fails(
    llm_settings: Settings, scripted_llm: tuple[ScriptedOpenAI, str], prep: Prepared
) -> None:
    server, _ = scripted_llm
    fallback = make_llm_answerer(llm_settings)
    assert isinstance(fallback, FallbackAnswerer)
    server.status = 500
    try:
        ans = fallback.answer(prep)
        events = _events(fallback.stream(prep))
    finally:
        server.status = 200
    assert ans.answerable and "answered extractively" in (ans.reason or "")
    assert events[-1][1].answer == ans.answer
