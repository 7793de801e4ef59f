"""The Answerer seam: what every answerer is given (`Prepared`), what it gives back, and how it streams.

An answer streams as events: ("delta", text) pieces, possibly ("reset", None) when the text so far is replaced,
then ("answer", Answer) last.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.errors import LLMError
from bot.query import Query
from bot.store import IndexData
from bot.types import Answer, HistoryTurn, Hit

Event = tuple[str, Any]

PSEUDO_STREAM_CHARS = 8
"""An answer written whole (extractive, or a fallback) streams in pieces of this many characters."""


class Declined(LLMError):
    """The primary answerer gave up for a reason of its own (too slow, ungrounded); the message says which."""


@dataclass
class Prepared:
    """Everything an answerer needs: the parsed query, the hits, and the index they came from."""

    query: Query
    hits: list[Hit]
    data: IndexData


class Answerer(Protocol):
    """Answers a prepared question, whole or as a stream of events."""

    def answer(self, prep: Prepared, history: Sequence[HistoryTurn] = ()) -> Answer: ...

    def stream(
        self, prep: Prepared, history: Sequence[HistoryTurn] = (), timeout: float | None = None
    ) -> Iterator[Event]:
        """The answer's events; `timeout` (what is left of the request's budget) bounds the work when given."""
        ...


def pseudo_stream(answer: Answer) -> Iterator[Event]:
    """An answer already written, as the deltas of a stream and then the answer."""
    for i in range(0, len(answer.answer), PSEUDO_STREAM_CHARS):
        yield "delta", answer.answer[i : i + PSEUDO_STREAM_CHARS]
    yield "answer", answer
