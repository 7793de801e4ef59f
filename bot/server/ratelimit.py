"""Rate limits behind one small Protocol: a sliding one-minute window per client key.

- `MemoryRateLimiter`: in one process's memory (one worker, or tests).
- `SQLiteRateLimiter`: in a SQLite file, so that every worker process on the machine shares the limits (and a
  restart does not reset them). A fleet of machines needs a shared server instead: a Redis limiter with the
  same `allow` plugs in here.

Keys are made by `client_key`: a SHA-256 of the whole API key (never a prefix, which two keys can share), or
the client's address.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Protocol, runtime_checkable

from bot.errors import ConfigError
from bot.settings import Settings

WINDOW = 60.0


@runtime_checkable
class RateLimiter(Protocol):
    per_minute: int

    def allow(self, key: str) -> tuple[bool, int]:
        """(allowed, seconds to wait when not); an allowed request is counted."""
        ...


def client_key(kind: str, secret_or_address: str) -> str:
    """The bucket of a client: ``key:<sha256 of the whole key>`` for keys, ``ip:<address>`` for addresses."""
    if kind == "key":
        return "key:" + hashlib.sha256(secret_or_address.encode("utf-8")).hexdigest()
    return f"{kind}:{secret_or_address}"


def _check(per_minute: int) -> None:
    if per_minute <= 0:
        raise ConfigError(f"rate limit must be > 0, got {per_minute}")


class MemoryRateLimiter:
    """A sliding one-minute window per client, in this process's memory."""

    def __init__(self, per_minute: int):
        _check(per_minute)
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and now - q[0] > WINDOW:
                q.popleft()
            if len(q) >= self.per_minute:
                return False, max(1, int(WINDOW - (now - q[0])) + 1)
            q.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for k in [k for k, v in self._hits.items() if not v or now - v[-1] > WINDOW]:
                    del self._hits[k]
            return True, 0


class SQLiteRateLimiter:
    """A sliding one-minute window per client in a SQLite file that every worker process opens.

    One row per counted request; each check is one short write transaction (``BEGIN IMMEDIATE``), so two
    processes never both take the last slot.
    """

    def __init__(self, path: Path, per_minute: int):
        _check(per_minute)
        self.per_minute = per_minute
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, t REAL NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS hits_key_t ON hits (key, t)")
        self._lock = threading.Lock()
        self._calls = 0

    def allow(self, key: str) -> tuple[bool, int]:
        now = time.time()  # wall time: the one clock every process shares
        with self._lock:
            self._calls += 1
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if self._calls % 1000 == 0:  # forget idle clients now and then
                    db.execute("DELETE FROM hits WHERE t <= ?", (now - WINDOW,))
                else:
                    db.execute("DELETE FROM hits WHERE key = ? AND t <= ?", (key, now - WINDOW))
                count, oldest = db.execute("SELECT COUNT(*), MIN(t) FROM hits WHERE key = ?", (key,)).fetchone()
                if count >= self.per_minute:
                    db.execute("COMMIT")
                    return False, max(1, int(WINDOW - (now - oldest)) + 1)
                db.execute("INSERT INTO hits VALUES (?, ?)", (key, now))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return True, 0

    def close(self) -> None:
        self._db.close()


def make_rate_limiter(settings: Settings) -> RateLimiter:
    """The limiter the settings ask for: shared through SQLite in the cache folder, or in memory."""
    if settings.rate_limit_store == "memory":
        return MemoryRateLimiter(settings.rate_limit_per_minute)
    return SQLiteRateLimiter(settings.cache_dir / "ratelimit.sqlite3", settings.rate_limit_per_minute)
