"""The optional LLM-judged faithfulness column, against a scripted OpenAI-compatible judge on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_openai import ChatOpenAI

from eval.judge import judge_run, judge_section, parse_judgement
from eval.records import BotRecord, GoldItem
from tests.fake_openai import ScriptedOpenAI, serve


def strict_judge(messages: list[dict[str, Any]]) -> str:
    """Counts the answer's numbers as claims; a claim is supported when a cited quote holds it."""
    prompt = messages[-1]["content"]
    answer = prompt.split("回答：", 1)[1].split("\n\n引用资料：", 1)[0]
    quotes = prompt.split("引用资料：", 1)[1].split("\n\n参考答案：", 1)[0]
    reference = prompt.split("参考答案：", 1)[1]
    nums = re.findall(r"\d+(?:\.\d+)?", re.sub(r"\[\d+\]", "", answer))
    supported = sum(1 for n in nums if n in quotes)
    correct = all(n in reference for n in nums)
    return "评审结果：" + json.dumps({"claims": len(nums), "supported": supported, "correct": correct})


def test_judge_scores_faithfulness_and_correctness() -> None:
    items = [
        GoldItem(id="a", question="几件？", type="numeric", answerable=True, answer="共117件。"),
        GoldItem(id="b", question="几件？", type="numeric", answerable=True, answer="共28件。"),
        GoldItem(id="c", question="有吗？", type="unanswerable", answerable=False, answer="没有。"),
    ]
    records = [
        BotRecord(
            id="a",
            question="几件？",
            answer="办理案件117件[1]。",
            answerable=True,
            citations=[{"quote": "办理案件117件"}],
        ),
        BotRecord(
            id="b",
            question="几件？",
            answer="出庭28件，另有99件[1]。",
            answerable=True,
            citations=[{"quote": "出庭28件"}],
        ),
        BotRecord(id="c", question="有吗？", answer="报告中没有提到。", answerable=False),
    ]
    server = ScriptedOpenAI(strict_judge)
    with serve(server.app) as url:
        chat = ChatOpenAI(base_url=url + "/v1", api_key="x", model="judge", max_retries=0, timeout=10)  # type: ignore[arg-type]
        result = judge_run(chat, items, records)
    assert len(server.requests) == 2  # the refusal is not judged
    assert result["items"]["a"] == {"claims": 1, "supported": 1, "correct": True}
    assert result["items"]["b"] == {"claims": 2, "supported": 1, "correct": False}
    assert result["faithfulness"] == 0.75 and result["correctness"] == 0.5
    html = judge_section(result, lambda v: str(v).replace("<", "&lt;"))
    assert "faithfulness 0.75" in html and "<td>b</td>" in html


def test_unparseable_judgement_is_an_error_not_a_crash() -> None:
    items = [GoldItem(id="a", question="q", type="fact", answerable=True, answer="x")]
    records = [BotRecord(id="a", question="q", answer="答[1]", answerable=True, citations=[{"quote": "答"}])]
    with serve(ScriptedOpenAI(lambda _m: "我觉得还行").app) as url:
        chat = ChatOpenAI(base_url=url + "/v1", api_key="x", model="judge", max_retries=0, timeout=10)  # type: ignore[arg-type]
        result = judge_run(chat, items, records)
    assert result["errors"] == 1 and result["judged"] == 0 and result["faithfulness"] is None


def test_parse_judgement_rejects_inconsistent_counts() -> None:
    assert parse_judgement('{"claims": 2, "supported": 2, "correct": true}')["supported"] == 2
    for bad in ('{"claims": 1, "supported": 3, "correct": true}', "no json"):
        try:
            parse_judgement(bad)
        except (ValueError, KeyError):
            continue
        raise AssertionError(f"accepted {bad}")


def test_eval_run_with_judge_adds_the_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m eval run --judge` builds its judge from the LLM settings and reports what it judged."""
    from bot.embed import make_embedder
    from bot.settings import Settings
    from eval.__main__ import main as eval_main
    from ingest.index import ingest
    from tests.conftest import NEUTRAL_DIR

    quote = "全年办理行政复议案件73件"
    gold = tmp_path / "gold.jsonl"
    item = {
        "id": "n1",
        "question": "红塔区人社局2022年办理了多少件行政复议案件？",
        "type": "numeric",
        "answerable": True,
        "answer": "73件",
        "must_include": ["73件"],
        "evidence": [{"file": "hongta_2022.txt", "quote": quote, "section": ""}],
    }
    gold.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")

    def script(messages: list[dict[str, Any]]) -> str:
        if "参考答案：" in messages[-1]["content"]:
            return strict_judge(messages)
        return "办理行政复议案件73件[1]。"

    for key in [k for k in os.environ if k.startswith("REPORTQA_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")  # type: ignore[call-arg]
    ingest([NEUTRAL_DIR], settings, make_embedder(settings))
    (tmp_path / "none.json").write_text("{}", encoding="utf-8")
    server = ScriptedOpenAI(script)
    with serve(server.app) as url:
        monkeypatch.setenv("REPORTQA_LLM_BASE_URL", url + "/v1")
        monkeypatch.setenv("REPORTQA_LLM_MODEL", "judge")
        out = tmp_path / "out"
        argv = ["run", "--gold", str(gold), "--reports", str(NEUTRAL_DIR), "--index", str(settings.index_dir)]
        rc = eval_main([*argv, "--out", str(out), "-q", "--judge", "--thresholds", str(tmp_path / "none.json")])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert rc == 0
    judged = summary["run"]["judge"]
    assert judged["judged"] == 1 and judged["items"]["n1"]["claims"] == 1
