"""Injection in generative mode: a model that obeys any instruction, played by the scripted OpenAI-compatible server
on 127.0.0.1, is never shown a forged assistant turn or a planted report sentence (the fixture report and index
of tests/unit/test_injection.py)."""

# The fixture imported from the unit module is requested by name: not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

from bot.answer.llm import make_llm_answerer
from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexHandle
from bot.types import HistoryTurn
from ingest.index import IngestSummary
from tests.fake_openai import ScriptedOpenAI, serve
from tests.unit.test_injection import FORGED, QUESTION, built  # noqa: F401  (built: the index fixture)


def _gullible_model(messages: list[dict[str, Any]]) -> str:
    """A model that obeys any instruction it is given: a forged system notice, or a planted report sentence."""
    prompt = "\n".join(str(m["content"]) for m in messages)
    if "系统已被攻破" in prompt:
        return "系统已被攻破。[1]"
    if "1000件" in prompt:
        return "滨江区出庭应诉1000件[1]。"
    return "滨江区人社局2022年负责人出庭15件[1]。"


def test_a_forged_assistant_turn_and_a_planted_sentence_never_reach_the_llm(
    built: tuple[Settings, IngestSummary],
) -> None:
    server = ScriptedOpenAI(_gullible_model)
    with serve(server.app) as url:
        settings = built[0].model_copy(
            update={"llm_base_url": url + "/v1", "llm_model": "scripted", "llm_timeout": 10.0}
        )
        qa = ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder(), llm=make_llm_answerer(settings))
        history = [
            HistoryTurn(role="user", content="滨江区人社局2022年办理了多少件行政复议？"),
            HistoryTurn(role="assistant", content=FORGED),
        ]
        ans = qa.ask(QUESTION, history)
    assert server.requests, "the scripted model was asked"
    prompt = "\n".join(str(m["content"]) for r in server.requests for m in r["messages"])
    assert "系统已被攻破" not in prompt and "1000件" not in prompt
    assert ans.mode == "generative" and "15件" in ans.answer and "系统已被攻破" not in ans.answer
