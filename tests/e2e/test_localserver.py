"""`python -m bot llm serve`'s HTTP surface, on a real uvicorn on 127.0.0.1, through the real openai client.

The engine here is a small scripted implementation of `ChatEngine` that answers as llama.cpp's server does
(the same response and chunk shapes), so the endpoint is tested without the model; the test marked
`local_llm` (tests/e2e/test_local_llm.py) runs the real one.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from bot.answer.llm import make_llm_answerer
from bot.embed import HashEmbedder
from bot.localserver import OnChunk, create_local_app
from bot.pipeline import ReportQA
from bot.settings import Settings
from bot.store import IndexHandle
from ingest.index import ingest
from tests.conftest import NEUTRAL_DIR, NEUTRAL_FACT, NEUTRAL_Q
from tests.fake_openai import HOLD_LIMIT, block_with, serve


class ScriptedEngine:
    """Answers `script(messages)` in llama.cpp's shapes; streams one character per chunk. An `endless` engine
    streams filler after the script until the client goes away (or HOLD_LIMIT s, a safety net)."""

    model_id = "scripted-local"

    def __init__(self, script: Callable[[list[dict[str, Any]]], str], endless: bool = False):
        self.script = script
        self.endless = endless
        self.bodies: list[dict[str, Any]] = []
        self.stopped = threading.Event()

    def chat(self, body: dict[str, Any], on_chunk: OnChunk | None = None) -> dict[str, Any] | None:
        self.bodies.append(body)
        text = self.script(body["messages"])
        if on_chunk is None:
            return {
                "id": "chatcmpl-x",
                "object": "chat.completion",
                "created": 0,
                "model": "/models/x.gguf",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": len(text), "total_tokens": 3 + len(text)},
            }
        head = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 0, "model": "/models/x.gguf"}
        if on_chunk({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": None}}]}):
            self.stopped.set()
            return None
        stop = time.monotonic() + HOLD_LIMIT
        filler = itertools.takewhile(lambda _: time.monotonic() < stop, itertools.repeat("很"))
        for ch in itertools.chain(text, filler if self.endless else ()):
            if self.endless:
                time.sleep(0.01)  # pacing only: the stream ends when the client goes away
            if on_chunk({**head, "choices": [{"index": 0, "delta": {"content": ch}, "finish_reason": None}]}):
                self.stopped.set()
                return None
        on_chunk({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        return None


def test_models_and_chat_need_the_key_when_one_is_set() -> None:
    engine = ScriptedEngine(lambda _m: "好的。")
    with serve(create_local_app(engine, key="s3cret")) as url:
        for path, call in (("/v1/models", httpx.get), ("/v1/chat/completions", httpx.post)):
            assert call(url + path).status_code == 401
            assert call(url + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        client = openai.OpenAI(base_url=url + "/v1", api_key="s3cret")
        assert [m.id for m in client.models.list()] == ["scripted-local"]
        assert httpx.get(url + "/healthz").json()["model"] == "scripted-local"  # health needs no key


def test_chat_answers_plain_and_streaming_through_the_openai_client() -> None:
    engine = ScriptedEngine(lambda m: "回答：" + m[-1]["content"])
    with serve(create_local_app(engine)) as url:
        client = openai.OpenAI(base_url=url + "/v1", api_key="none")
        plain = client.chat.completions.create(model="any", messages=[{"role": "user", "content": "你好"}])
        assert plain.choices[0].message.content == "回答：你好"
        assert plain.model == "scripted-local"
        stream = client.chat.completions.create(
            model="any", messages=[{"role": "user", "content": "世界"}], stream=True, max_tokens=20
        )
        pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
        assert len(pieces) > 3 and "".join(pieces) == "回答：世界"
        assert engine.bodies[-1]["max_tokens"] == 20 and engine.bodies[-1]["stream"] is True


def test_a_request_without_messages_is_a_400() -> None:
    with serve(create_local_app(ScriptedEngine(lambda _m: "x"))) as url:
        r = httpx.post(url + "/v1/chat/completions", json={"messages": []})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_a_client_that_goes_away_stops_the_generation() -> None:
    engine = ScriptedEngine(lambda _m: "很长的回答", endless=True)  # only the client going away ends it
    with serve(create_local_app(engine)) as url:
        body = {"messages": [{"role": "user", "content": "x"}], "stream": True}
        with httpx.stream("POST", url + "/v1/chat/completions", json=body) as r:
            next(r.iter_lines())
        assert engine.stopped.wait(HOLD_LIMIT)


def test_the_bot_answers_through_the_local_endpoint_with_langchain(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")  # type: ignore[call-arg]
    ingest([NEUTRAL_DIR], settings, HashEmbedder())

    def script(messages: list[dict[str, Any]]) -> str:
        n = (block_with(messages, NEUTRAL_FACT) or (1, ""))[0]
        return f"2022年办理{NEUTRAL_FACT}[{n}]。"

    engine = ScriptedEngine(script)
    with serve(create_local_app(engine, key="k")) as url:
        llm_settings = Settings(  # type: ignore[call-arg]
            _env_file=None, index_dir=settings.index_dir, llm_base_url=url + "/v1", llm_api_key="k", llm_model="local"
        )
        qa = ReportQA(
            IndexHandle(settings.index_dir, llm_settings), HashEmbedder(), llm=make_llm_answerer(llm_settings)
        )
        events = list(qa.stream(NEUTRAL_Q))
    final = events[-1][1]
    assert final.mode == "generative" and NEUTRAL_FACT in final.answer
    assert final.citations and NEUTRAL_FACT in final.citations[0].quote
    assert sum(1 for kind, _ in events if kind == "delta") > 3


@pytest.mark.parametrize("threads, n_ctx", [(0, 4096), (2, 100)])
def test_the_engine_refuses_bad_values(threads: int, n_ctx: int) -> None:
    from bot.localserver import XllamacppEngine

    with pytest.raises(Exception, match=r"threads|n_ctx"):
        XllamacppEngine(Path("/nonexistent.gguf"), model_id="x", threads=threads, n_ctx=n_ctx)
