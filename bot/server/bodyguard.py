"""ASGI middleware that bounds and checks what a request carries before any endpoint sees it.

- The body limit counts the bytes actually received, so a chunked body (no Content-Length) or one that sends
  more than its Content-Length said is refused with 413 as soon as it passes the limit; nothing more is read.
- Invalid Unicode anywhere in the request is a 400: a body that is not UTF-8, a JSON string with a lone
  surrogate (``"\\ud800"``, which no UTF-8 text can hold and which broke retrieval and streams deep inside),
  or a path or query string whose percent-escapes are not UTF-8.

The body is buffered (it is at most `max_bytes`, 64 kB by default) and replayed to the app unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BAD_UNICODE = "the request holds invalid Unicode ({where}); send UTF-8 text without lone surrogates"


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    """An error in the API's shape, {"error": {"code", "message"}}, sent straight through ASGI."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def unicode_problem(body: bytes) -> str | None:
    """Where a body's text is not valid Unicode, or None when it is (or is no JSON: the app says so then)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 at byte {exc.start}"
    if "\\u" not in text:
        return None  # JSON can only carry a lone surrogate as an escape
    try:
        value = json.loads(text)
    except ValueError:
        return None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate escape such as \\ud800 in a string"
    return None


def target_problem(scope: Scope) -> str | None:
    """Whether the path or the query string percent-decode to something that is not UTF-8."""
    for where, raw in (("path", scope.get("raw_path") or b""), ("query string", scope.get("query_string") or b"")):
        try:
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return f"the {where} is not UTF-8"
    return None


class BodyGuard:
    """Refuses oversized bodies (413) and invalid Unicode (400) before the app runs."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be > 0, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = target_problem(scope)
        if where:
            await send_error(send, 400, "invalid_unicode", BAD_UNICODE.format(where=where))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                too_big = f"request body over {self.max_bytes} bytes; send a shorter question"
                await send_error(send, 413, "payload_too_large", too_big, {"Connection": "close"})
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        where = unicode_problem(body) if body else None
        if where:
            await send_error(send, 400, "invalid_unicode", BAD_UNICODE.format(where=where))
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the buffered body over once, then waits on the real one (for a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            out: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return out
        return await receive()

    return replay
