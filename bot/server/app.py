"""The HTTP app: our JSON + SSE API, an OpenAI-compatible endpoint that carries citations, and the widget.

`create_app(settings)` wires the routers (chat, reports, feedback, openai_compat, ops, widget) behind the request
guard; `python -m bot serve` runs it under uvicorn. Errors always leave as ``{"error": {"code", "message"}}``
with no stack trace.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import ConfigError, ReportQAError
from bot.pipeline import ReportQA
from bot.server import chat, feedback, openai_compat, ops, reports, widget
from bot.server.bodyguard import BodyGuard
from bot.server.deps import INTERNAL_ERROR, LazyQA, error_body
from bot.server.security import WidgetGuard
from bot.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, qa: ReportQA | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.mode == "production" and not settings.api_keys:
        raise ConfigError("production mode needs REPORTQA_API_KEYS (a JSON list of bearer keys).")
    lazy = LazyQA(settings, qa)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # each worker process warms its own model and index before it takes a request
        await run_in_threadpool(ops.warm_up, lazy)
        yield

    app = FastAPI(
        title="ReportQA",
        version="0.1.0",
        description="Answers questions about government reports, in Chinese, with verified citations.",
        lifespan=lifespan,
    )
    app.state.settings, app.state.qa = settings, lazy
    app.state.feedback = feedback.FeedbackStore(settings.feedback_db)
    _add_guards(app, settings)
    _add_error_handlers(app)
    for router in (ops.router, chat.router, reports.router, feedback.router, openai_compat.router, widget.router):
        app.include_router(router)
    return app


def _add_guards(app: FastAPI, settings: Settings) -> None:
    """Body limits, then keys and rate limits, then CORS around both (so that refusals carry CORS headers)."""
    guard = WidgetGuard(settings)
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
            return JSONResponse(error_body("internal_error", INTERNAL_ERROR), status_code=500)

    # added after the guard, so it wraps it: the guard's 401/403/413/429 answers carry CORS headers too
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Widget-Key", "Accept"],
        expose_headers=["X-ReportQA-Citations", "Retry-After"],
        max_age=600,
    )


def _add_error_handlers(app: FastAPI) -> None:
    """Our errors, invalid requests and Starlette's 404/405 all leave as the one error body."""

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
