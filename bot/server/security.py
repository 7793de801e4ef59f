"""Request guard: API keys, the public widget key (valid only from allowed origins), body size, rate limits.

In demo mode with no keys configured the API is open (the local demo page needs no secret). In production
mode every /api and /v1 request needs a Bearer key, except widget requests, which present the public widget
key and must come from an allowed origin (the browser sets Origin; the CORS allow-list matches it).
"""

from __future__ import annotations

import copy

from starlette.requests import Request

from bot.server.ratelimit import RateLimiter, client_key, make_rate_limiter
from bot.settings import Settings

Problem = tuple[int, str, str, dict[str, str]]

PROTECTED = ("/api/", "/v1/")
WIDGET_PATHS = ("/api/chat", "/api/feedback", "/api/reports")


class Guard:
    """Authentication and rate limits. The client address is the connection's peer: forwarded headers count
    only from REPORTQA_TRUSTED_PROXIES, where uvicorn applies them before the app runs (bot.server.httpserver)."""

    def __init__(self, settings: Settings, limiter: RateLimiter | None = None):
        self.settings = settings
        self.keys = set(settings.api_keys)
        self.origins = set(settings.allowed_origins)
        self.limiter = limiter or make_rate_limiter(settings)

    async def check(self, request: Request) -> Problem | None:
        path = request.url.path
        if request.method == "OPTIONS" or not path.startswith(PROTECTED):
            return None
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > self.settings.max_body_bytes
            except ValueError:
                return 400, "bad_request", "invalid Content-Length header", {}
            if too_big:
                return (
                    413,
                    "payload_too_large",
                    f"request body over {self.settings.max_body_bytes} bytes; send a shorter question",
                    {},
                )
        client = self._authenticate(request)
        if isinstance(client, tuple):
            return client
        ok, wait = self.limiter.allow(client)
        if not ok:
            return (
                429,
                "rate_limited",
                f"too many requests: at most {self.settings.rate_limit_per_minute} per minute; retry in {wait}s",
                {"Retry-After": str(wait)},
            )
        return None

    def _authenticate(self, request: Request) -> str | Problem:
        """The client's rate-limit key when it may pass, else the problem to answer with."""
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        widget = request.headers.get("x-widget-key", "")
        origin = request.headers.get("origin", "")
        if not origin and request.headers.get("sec-fetch-site") == "same-origin":
            # browsers send no Origin on a same-origin GET: the page's own host is the origin
            origin = f"{request.url.scheme}://{request.headers.get('host', '')}"
        ip = request.client.host if request.client else "unknown"
        if bearer and bearer in self.keys:
            return client_key("key", bearer)
        presented_widget = widget or (bearer if bearer and bearer == self.settings.widget_key else "")
        if presented_widget and self.settings.widget_key:
            if presented_widget != self.settings.widget_key:
                return 401, "unauthorized", "invalid widget key", {}
            if origin not in self.origins:
                return 403, "forbidden_origin", f"the widget key is not valid from origin {origin or '(none)'}", {}
            if not request.url.path.startswith(WIDGET_PATHS):
                return 403, "forbidden", "the widget key only opens the chat, passage and feedback endpoints", {}
            return client_key("widget", ip)
        needs_key = self.settings.mode == "production" or bool(self.keys)
        if needs_key:
            if bearer:
                return 401, "unauthorized", "invalid API key", {"WWW-Authenticate": "Bearer"}
            return (
                401,
                "unauthorized",
                "an API key is required: Authorization: Bearer <key>",
                {"WWW-Authenticate": "Bearer"},
            )
        return client_key("ip", ip)


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
