"""The HTTP app: `create_app(settings)` (placeholder UI until the serving issue lands its widget)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from bot.errors import ReportQAError
from bot.settings import Settings
from bot.types import Answer, HistoryTurn

log = logging.getLogger(__name__)


class ChatRequest(BaseModel):
    question: str = Field(min_length=1, max_length=10_000)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=50)
    report_ids: list[str] | None = None


def create_app(settings: Settings | None = None) -> FastAPI:
    from bot.pipeline import ReportQA

    settings = settings or Settings()
    app = FastAPI(title="ReportQA", version="0.1.0")
    state: dict[str, Any] = {}

    def qa() -> ReportQA:
        if "qa" not in state:
            state["qa"] = ReportQA.from_settings(settings)
        return state["qa"]

    @app.exception_handler(ReportQAError)
    async def _err(_req: Request, exc: ReportQAError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": str(exc)}}, status_code=exc.status)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        try:
            data = qa().index.get()
        except ReportQAError as exc:
            return JSONResponse({"ready": False, "error": str(exc)}, status_code=503)
        return JSONResponse({"ready": True, "generation": data.generation, "reports": len(data.reports)})

    @app.post("/api/chat", response_model=Answer)
    def chat(req: ChatRequest) -> Answer:
        return qa().ask(req.question, req.history, req.report_ids)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (
            "<!doctype html><meta charset=utf-8><title>ReportQA</title>"
            '<h1>ReportQA</h1><p>API: POST /api/chat {"question": "…"}</p>'
        )

    return app
