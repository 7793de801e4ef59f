"""The extractive answerer (this package) as an `Answerer`: it writes its answer whole, so it streams it in
pieces. The history is not read: the query parser has already resolved it into the prepared query."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.answer.base import Event, Prepared, pseudo_stream
from bot.answer.extractive.answerer import ExtractiveAnswerer
from bot.types import Answer, HistoryTurn


class ExtractiveAdapter:
    """`Answerer` over an ExtractiveAnswerer (the one instance the pipeline also uses)."""

    def __init__(self, extractive: ExtractiveAnswerer):
        self.extractive = extractive

    def answer(self, prep: Prepared, history: Sequence[HistoryTurn] = ()) -> Answer:
        return self.extractive.answer(prep)

    def stream(
        self, prep: Prepared, history: Sequence[HistoryTurn] = (), timeout: float | None = None
    ) -> Iterator[Event]:
        yield from pseudo_stream(self.answer(prep, history))
