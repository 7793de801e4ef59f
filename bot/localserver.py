"""`python -m bot llm serve`: the local model behind an OpenAI-compatible endpoint on 127.0.0.1.

The bot talks to it exactly as to any vendor (LangChain's ChatOpenAI, the openai client), so what the tests
and the benchmarks exercise is the production path. The HTTP surface here is small and ours: `/v1/models`,
`/v1/chat/completions` (plain and streaming), `/healthz`, an optional Bearer key, and one generation at a time
(the model owns the CPU). The model runs in-process through xllamacpp (llama.cpp); its own listener is given a
random key nobody knows, so the only way in is this app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from bot.errors import ConfigError
from bot.localmodel import INSTALL_HINT, QWEN_CODER_1_5B, ModelSpec, ensure_model, runtime_available

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
OnChunk = Callable[[dict[str, Any]], bool]
"""Receives each streamed chunk; returning True stops the generation."""


class ChatEngine(Protocol):
    """Runs one OpenAI-style chat request: a response dict, or (with `on_chunk`) chunk dicts as they come."""

    model_id: str

    def chat(self, body: dict[str, Any], on_chunk: OnChunk | None = None) -> dict[str, Any] | None: ...


class XllamacppEngine:
    """A GGUF model in llama.cpp's server engine (xllamacpp), on the CPU."""

    def __init__(self, model_path: Path, *, model_id: str, threads: int = 2, n_ctx: int = 4096, max_tokens: int = 512):
        if threads <= 0:
            raise ConfigError(f"threads must be > 0, got {threads}")
        if n_ctx < 512:
            raise ConfigError(f"n_ctx must be >= 512, got {n_ctx}")
        import xllamacpp as xlc

        p = xlc.CommonParams()
        p.model.path = str(model_path)
        p.n_ctx = n_ctx
        p.n_predict = max_tokens
        p.n_parallel = 1
        p.cpuparams.n_threads = threads
        p.cpuparams_batch.n_threads = threads
        p.api_keys = [secrets.token_hex(24)]  # its own HTTP listener stays closed to everyone
        self.model_id = model_id
        self.max_tokens = max_tokens
        self._server = xlc.Server(p)

    def chat(self, body: dict[str, Any], on_chunk: OnChunk | None = None) -> dict[str, Any] | None:
        asked = body.get("max_tokens") or body.get("max_completion_tokens") or self.max_tokens
        body = {**body, "max_tokens": min(int(asked), self.max_tokens)}
        body.pop("max_completion_tokens", None)
        if on_chunk is None:
            result: dict[str, Any] = self._server.handle_chat_completions(body)
            return result
        self._server.handle_chat_completions(body, on_chunk)
        return None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "type": code}}, status_code=status)


def create_local_app(engine: ChatEngine, *, key: str | None = None) -> FastAPI:
    """The OpenAI-compatible app around `engine`; with `key`, every /v1 request needs `Bearer <key>`."""
    app = FastAPI(title="ReportQA local LLM", docs_url=None, redoc_url=None)
    lock = threading.Lock()  # one generation at a time: on 2 cores a second one only slows both

    def authorised(req: Request) -> bool:
        if not key:
            return True
        got = req.headers.get("authorization", "")
        return got.startswith("Bearer ") and secrets.compare_digest(got[7:].encode(), key.encode())

    def model_card() -> dict[str, Any]:
        return {"id": engine.model_id, "object": "model", "created": 0, "owned_by": "local"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "model": engine.model_id}

    @app.get("/v1/models")
    async def models(req: Request) -> Any:
        if not authorised(req):
            return _error(401, "invalid_api_key", "missing or wrong Bearer key (see --key)")
        return {"object": "list", "data": [model_card()]}

    @app.post("/v1/chat/completions")
    async def chat(req: Request) -> Any:
        if not authorised(req):
            return _error(401, "invalid_api_key", "missing or wrong Bearer key (see --key)")
        try:
            body = await req.json()
        except ValueError:
            return _error(400, "bad_request", "the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return _error(400, "bad_request", "messages must be a non-empty list")
        body = {k: v for k, v in body.items() if k not in ("model", "stream_options")}
        if body.pop("stream", False):
            return StreamingResponse(_stream(engine, body, lock), media_type="text/event-stream")

        def run() -> dict[str, Any] | None:
            with lock:
                return engine.chat(body)

        try:
            result = await asyncio.to_thread(run)
        except Exception as exc:  # the engine's own errors (context too long…), reported as OpenAI does
            log.warning("local model failed: %s", exc)
            return _error(500, "engine_error", str(exc)[:300])
        return {**(result or {}), "model": engine.model_id}

    return app


_END = object()


async def _stream(engine: ChatEngine, body: dict[str, Any], lock: threading.Lock) -> AsyncIterator[str]:
    """Server-sent chunks as the engine makes them; a client that goes away stops the generation."""
    chunks: queue.Queue[Any] = queue.Queue()
    cancel = threading.Event()

    def on_chunk(chunk: dict[str, Any]) -> bool:
        chunks.put(chunk)
        return cancel.is_set()

    def run() -> None:
        try:
            with lock:
                if not cancel.is_set():
                    engine.chat({**body, "stream": True}, on_chunk)
        except Exception as exc:
            chunks.put(exc)
        finally:
            chunks.put(_END)

    threading.Thread(target=run, daemon=True, name="local-llm").start()
    try:
        while True:
            item = await asyncio.to_thread(chunks.get)
            if item is _END:
                break
            if isinstance(item, Exception):
                yield f"data: {json.dumps({'error': {'code': 'engine_error', 'message': str(item)[:300]}})}\n\n"
                break
            item["model"] = engine.model_id
            yield f"data: {json.dumps(item, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
    finally:
        cancel.set()


def make_engine(
    cache_dir: Path, *, threads: int, n_ctx: int, max_tokens: int, spec: ModelSpec = QWEN_CODER_1_5B
) -> XllamacppEngine:
    """The pinned local model, joined and hash-checked on first use, in xllamacpp."""
    if not runtime_available():
        raise ConfigError(f"the local model runtime xllamacpp is not installed; {INSTALL_HINT}")
    path = ensure_model(spec, cache_dir)
    t0 = time.perf_counter()
    engine = XllamacppEngine(path, model_id=spec.name, threads=threads, n_ctx=n_ctx, max_tokens=max_tokens)
    log.warning("local model %s loaded in %.1f s", spec.name, time.perf_counter() - t0)
    return engine


def main(argv: list[str]) -> int:
    """`python -m bot llm serve [--port P] [--key K]`: always on 127.0.0.1."""
    from bot.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m bot llm", description="The optional local LLM (CPU).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="serve the local model as an OpenAI-compatible endpoint on 127.0.0.1")
    serve.add_argument("--port", type=int, help="port (default: REPORTQA_LOCAL_LLM_PORT)")
    serve.add_argument("--key", help="Bearer key clients must send (default: REPORTQA_LOCAL_LLM_KEY; none = open)")
    args = ap.parse_args(argv)
    settings = Settings()
    engine = make_engine(
        settings.local_llm_dir,
        threads=settings.local_llm_threads,
        n_ctx=settings.local_llm_ctx,
        max_tokens=settings.llm_max_tokens,
    )
    import uvicorn

    port = args.port or settings.local_llm_port
    app = create_local_app(engine, key=args.key or settings.local_llm_key)
    log.warning("serving %s on http://%s:%d/v1", engine.model_id, HOST, port)
    uvicorn.run(app, host=HOST, port=port, log_level="warning")
    return 0
