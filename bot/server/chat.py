"""POST /api/chat: our JSON answer, or server-sent events (delta, reset, citations, done, error)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, model_validator

from bot.errors import ReportQAError
from bot.server.deps import INTERNAL_ERROR, QA, chain, sse
from bot.types import Answer, HistoryTurn

log = logging.getLogger(__name__)
router = APIRouter()

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


@router.post("/api/chat", tags=["chat"], response_model=Answer)
def chat(req: ChatRequest, request: Request, qa: QA) -> Any:
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
    return StreamingResponse(
        _chat_events(first, events), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _chat_events(first: tuple[str, Any], events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    try:
        for kind, payload in chain(first, events):
            if kind == "delta":
                yield sse("delta", {"text": payload})
            elif kind == "reset":
                yield sse("reset", {})
            elif kind == "answer":
                yield sse("citations", {"citations": [c.model_dump() for c in payload.citations]})
                yield sse("done", payload.model_dump())
    except ReportQAError as exc:
        yield sse("error", {"code": exc.code, "message": str(exc)})
    except Exception:
        log.exception("stream failed")
        yield sse("error", {"code": "internal_error", "message": INTERNAL_ERROR})
