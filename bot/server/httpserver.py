"""How `python -m bot serve` runs uvicorn: its options from the settings, and its own 400s as JSON.

Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from REPORTQA_TRUSTED_PROXIES.

uvicorn answers a request it cannot parse (a Content-Length that is no number, a malformed request line or
header) itself, before the app runs, with a text/plain 400. The protocol classes here send the API's error
shape instead, so that every error the server gives is JSON.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.settings import Settings

_HEAD = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {n}\r\nconnection: close\r\n\r\n"


def bad_request_bytes(msg: str) -> bytes:
    """A whole HTTP/1.1 400 response whose body is {"error": {"code": "bad_request", "message": msg}}."""
    body = json.dumps({"error": {"code": "bad_request", "message": msg}}).encode("utf-8")
    return _HEAD.format(n=len(body)).encode("ascii") + body


class JSONH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with its own 400s in the API's error shape."""

    def send_400_response(self, msg: str) -> None:
        self.transport.write(bad_request_bytes(msg))
        self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class JSONHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol (the faster one, used when httptools is installed), same change."""

        def send_400_response(self, msg: str) -> None:
            self.transport.write(bad_request_bytes(msg))
            self.transport.close()

    HTTP_PROTOCOL = "bot.server.httpserver:JSONHttpToolsProtocol"
except ImportError:  # httptools is optional for uvicorn
    HTTP_PROTOCOL = "bot.server.httpserver:JSONH11Protocol"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run/Config keyword arguments that the settings decide (the app and workers aside)."""
    trusted = [p.strip() for p in settings.trusted_proxies if p.strip()]
    return {
        "http": HTTP_PROTOCOL,
        "log_level": settings.log_level.lower(),
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: a client on the machine could
        # then pick its own address, and its own rate-limit bucket, with each request
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
