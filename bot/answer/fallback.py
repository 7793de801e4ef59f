"""The fallback policy: ask the primary answerer (the LLM), and give the fallback's answer (extractive) when the
primary fails, times out or writes something ungrounded; optionally, do not ask the primary at all when the
fallback would refuse (the answer gate)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from bot.answer.base import Answerer, Declined, Event, Prepared, pseudo_stream
from bot.types import Answer, HistoryTurn

log = logging.getLogger(__name__)


class FallbackAnswerer:
    """`primary`, or `fallback` when it fails, as one `Answerer`.

    With `gate`, the primary is asked only when the fallback would answer: a small model seldom refuses (it
    answers from a block about something else), so where the evidence is too weak to answer extractively,
    the extractive refusal is given and no tokens are spent.
    """

    def __init__(self, primary: Answerer, fallback: Answerer, *, gate: bool = False):
        self.primary = primary
        self.fallback = fallback
        self.gate = gate

    def answer(self, prep: Prepared, history: Sequence[HistoryTurn] = ()) -> Answer:
        gated = self._gated(prep)
        if gated is not None:
            return gated
        try:
            return self.primary.answer(prep, history)
        except Exception as exc:  # transport errors, timeouts, garbage: answer offline instead
            return self._instead(prep, exc)

    def stream(
        self, prep: Prepared, history: Sequence[HistoryTurn] = (), timeout: float | None = None
    ) -> Iterator[Event]:
        gated = self._gated(prep)
        if gated is not None:
            yield from pseudo_stream(gated)
            return
        streamed = False
        try:
            for kind, payload in self.primary.stream(prep, history, timeout):
                streamed = streamed or kind == "delta"
                yield kind, payload
        except Exception as exc:
            answer = self._instead(prep, exc)
            if streamed:
                yield "reset", None  # the streamed text is replaced by the fallback answer
            yield from pseudo_stream(answer)

    def _gated(self, prep: Prepared) -> Answer | None:
        """The fallback's refusal, when the gate is on and the evidence is too weak to answer."""
        if not self.gate:
            return None
        ans = self.fallback.answer(prep)
        if ans.answerable:
            return None
        ans.reason = f"{ans.reason or 'refused'}; the evidence is below the answer gate: no LLM call"
        return ans

    def _instead(self, prep: Prepared, exc: Exception) -> Answer:
        if isinstance(exc, Declined):
            reason = f"{exc}; answered extractively"
        else:
            reason = f"LLM unavailable ({type(exc).__name__}: {str(exc)[:200]}); answered extractively"
        log.warning("%s", reason)
        ans = self.fallback.answer(prep)
        ans.reason = reason
        return ans
