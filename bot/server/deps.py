"""What the routers share: the app's settings and its one ReportQA (built on first use), the error body, and
the event helpers of the streaming endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request

from bot.pipeline import ReportQA
from bot.settings import Settings

INTERNAL_ERROR = "服务器内部错误，请稍后重试。"


class LazyQA:
    """The app's ReportQA: the one given, or one made from the settings when first asked for."""

    def __init__(self, settings: Settings, qa: ReportQA | None = None):
        self.settings = settings
        self._qa = qa

    def __call__(self) -> ReportQA:
        if self._qa is None:
            self._qa = ReportQA.from_settings(self.settings)
        return self._qa


def get_qa(request: Request) -> ReportQA:
    """The dependency of every route that answers or reads the index."""
    lazy: LazyQA = request.app.state.qa
    return lazy()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


QA = Annotated[ReportQA, Depends(get_qa)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def chain(first: tuple[str, Any], rest: Iterator[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    yield first
    yield from rest
