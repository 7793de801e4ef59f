"""A scripted OpenAI-compatible server on 127.0.0.1 for tests: the real `openai` client talks to it.

It serves /v1/chat/completions (plain and streaming) and /v1/embeddings. What it answers is a Python
function of the request's messages, so each test scripts the model it needs (a good answer, a bad
reference, an unsupported number, a refusal, garbage, a slow or failing endpoint).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

Script = Callable[[list[dict[str, Any]]], str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScriptedOpenAI:
    def __init__(self, script: Script | None = None):
        self.script: Script = script or (lambda _m: "好的[1]。")
        self.delay = 0.0
        self.chunk_delay = 0.0  # seconds between streamed chunks: a model that writes slowly
        self.embed_delay = 0.0  # seconds each /v1/embeddings request waits before answering
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(req: Request) -> Any:
            body = await req.json()
            self.requests.append(body)
            if self.delay:
                time.sleep(self.delay)
            if self.status != 200:
                return JSONResponse({"error": {"message": "scripted failure"}}, status_code=self.status)
            text = self.script(body["messages"])
            model = body.get("model", "scripted")
            if body.get("stream"):
                return StreamingResponse(self._sse(text, model, self.chunk_delay), media_type="text/event-stream")
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }

        @app.post("/v1/embeddings")
        async def embeddings(req: Request) -> Any:
            body = await req.json()
            if self.embed_delay:
                time.sleep(self.embed_delay)
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": i, "embedding": _vec(t)} for i, t in enumerate(inputs)]
            return {"object": "list", "data": data, "model": body.get("model", "x"), "usage": {}}

        return app

    @staticmethod
    def _sse(text: str, model: str, chunk_delay: float = 0.0) -> Iterator[str]:
        for i in range(0, len(text), 4):
            if chunk_delay:
                time.sleep(chunk_delay)
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {"content": text[i : i + 4]}, "finish_reason": None}],
            }
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
        end = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        yield f"data: {json.dumps(end)}\n\n"
        yield "data: [DONE]\n\n"


def _vec(text: str, dim: int = 64) -> list[float]:
    v = [0.0] * dim
    for a, b in itertools.pairwise(text):
        v[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % dim] += 1.0
    n = sum(x * x for x in v) ** 0.5 or 1.0
    return [x / n for x in v]


@contextmanager
def serve(app: Any, port: int | None = None, **options: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on 127.0.0.1; yields its base URL. `options` go to uvicorn."""
    port = port or free_port()
    options = {"log_level": "warning", **options}
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def block_with(messages: list[dict[str, Any]], needle: str) -> tuple[int, str] | None:
    """(n, text) of the numbered context block that contains `needle`, from the prompt."""
    prompt = messages[-1]["content"]
    for part in prompt.split("\n\n"):
        if part.startswith("[") and "]" in part[:4] and needle in part:
            n = int(part[1 : part.index("]")])
            return n, part
    return None
