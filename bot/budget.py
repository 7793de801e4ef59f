"""A per-request time budget: past it, work that can wait is skipped and the answer says so.

`ReportQA.ask` and `stream` open a budget for the request (REPORTQA_REQUEST_BUDGET_S). The parts that can
queue or stall read it from a context variable rather than through every signature:

- the local embedder waits for its model at most the time left (under load, requests queue there), and a
  remote embedding endpoint's call (OpenAIEmbedder) and the LLM call time out with it;
- dense retrieval is skipped once the budget is spent, so the hits are BM25's alone;
- the LLM is not called once it is spent.

Whatever was skipped is noted, and the answer's `reason` carries the notes: a slow request is answered
extractively from BM25, with a reason, and never hangs.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.errors import EmbeddingError


class BudgetExceeded(EmbeddingError):
    """The request's time budget ran out while it waited (for the embedder, say)."""

    code = "time_budget_exceeded"


class Budget:
    """A deadline on the monotonic clock, and notes on what was skipped to keep it."""

    def __init__(self, seconds: float):
        if seconds <= 0:
            raise ValueError(f"a time budget must be > 0 s, got {seconds}")
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.notes: list[str] = []

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def note(self, what: str) -> None:
        if what not in self.notes:
            self.notes.append(what)

    def reason(self) -> str | None:
        if not self.notes:
            return None
        return f"time budget of {self.seconds:g} s: " + "; ".join(self.notes)


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("reportqa_budget", default=None)


def current() -> Budget | None:
    """The budget of the request being answered in this context, if any."""
    return _CURRENT.get()


def remaining(default: float | None = None) -> float | None:
    """Seconds left in the current budget, or `default` when no budget is open."""
    b = _CURRENT.get()
    return b.remaining() if b is not None else default


@contextmanager
def opened(seconds: float | None) -> Iterator[Budget | None]:
    """Open a budget of `seconds` for the code inside (none when `seconds` is None or one is already open)."""
    if seconds is None or _CURRENT.get() is not None:
        yield _CURRENT.get()
        return
    budget = Budget(seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
