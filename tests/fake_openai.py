"""A scripted OpenAI-compatible server on 127.0.0.1 for tests: the real `openai` client talks to it.

It serves /v1/chat/completions (plain and streaming) and /v1/embeddings. What it answers is a Python
function of the request's messages, so each test scripts the model it needs (a good answer, a bad
reference, an unsupported number, a refusal, garbage, a slow or failing endpoint).

A slow endpoint is played without timing: `hold` (an Event) keeps every reply back until the test sets it,
`endless` streams filler after the scripted text until the client hangs up, and `embed_hold` keeps
/v1/embeddings back. `replied` counts the replies sent, so a test can assert that the bot answered before the
model did. HOLD_LIMIT bounds each hold, so that a broken bot fails a test rather than hanging it.
"""

from __future__ import annotations

import asyncio
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

HOLD_LIMIT = 30.0
"""The most seconds a held reply or an endless stream lasts: a safety net, never what a test waits for."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScriptedOpenAI:
    def __init__(self, script: Script | None = None):
        self.script: Script = script or (lambda _m: "好的[1]。")
        self.status = 200
        self.hold: threading.Event | None = None  # set: chat replies wait for it (at most HOLD_LIMIT s)
        self.embed_hold: threading.Event | None = None  # the same for /v1/embeddings
        self.endless = False  # a streamed reply goes on after the script until the client hangs up
        self.replied = 0  # chat replies sent
        self.embed_asked = threading.Event()  # set by each /v1/embeddings request, as it arrives
        self.embed_inputs: list[list[str]] = []  # the texts of each /v1/embeddings request
        self.embed_scale = 1.0  # the vectors' length: an endpoint need not send unit vectors
        self.embed_reversed = False  # send the data in reverse order (each item keeps its `index`)
        self.requests: list[dict[str, Any]] = []
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(req: Request) -> Any:
            body = await req.json()
            self.requests.append(body)
            if self.hold is not None:
                await asyncio.to_thread(self.hold.wait, HOLD_LIMIT)
            self.replied += 1
            if self.status != 200:
                return JSONResponse({"error": {"message": "scripted failure"}}, status_code=self.status)
            text = self.script(body["messages"])
            model = body.get("model", "scripted")
            if body.get("stream"):
                chunks = self._sse(text, model, self.endless)
                return StreamingResponse(chunks, media_type="text/event-stream")
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
            self.embed_asked.set()
            if self.embed_hold is not None:
                await asyncio.to_thread(self.embed_hold.wait, HOLD_LIMIT)
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            self.embed_inputs.append(list(inputs))
            if self.status != 200:
                return JSONResponse({"error": {"message": "scripted failure"}}, status_code=self.status)
            data = [
                {"object": "embedding", "index": i, "embedding": [x * self.embed_scale for x in _vec(t)]}
                for i, t in enumerate(inputs)
            ]
            if self.embed_reversed:
                data.reverse()
            return {"object": "list", "data": data, "model": body.get("model", "x"), "usage": {}}

        return app

    @staticmethod
    def _sse(text: str, model: str, endless: bool = False) -> Iterator[str]:
        pieces: Iterator[str] = iter([text[i : i + 4] for i in range(0, len(text), 4)])
        if endless:  # filler until the client hangs up (the server then stops iterating), or HOLD_LIMIT
            stop = time.monotonic() + HOLD_LIMIT
            filler = itertools.takewhile(lambda _: time.monotonic() < stop, itertools.repeat("依法"))
            pieces = itertools.chain(pieces, filler)
        for piece in pieces:
            if endless:
                time.sleep(0.01)  # pacing only: the stream ends when the client hangs up
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
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
