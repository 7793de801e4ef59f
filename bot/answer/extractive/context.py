"""What answering one question carries from step to step: the query, the hits, the index, the asked terms."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answer.extractive.facts import numbers_in
from bot.answer.extractive.params import ExtractiveParams
from bot.answer.extractive.terms import TermWeights
from bot.query import Query
from bot.text.analysis import normalize
from bot.text.numerals import arabic
from bot.types import Hit

if TYPE_CHECKING:
    from bot.store import IndexData


@dataclass(frozen=True)
class AnswerContext:
    """One question being answered, with the per-question data every step reads."""

    query: Query
    hits: Sequence[Hit]
    data: IndexData
    weights: TermWeights
    terms: list[str]
    """The asked terms of the question (`Query.asked`)."""
    ctx_terms: list[str]
    """The asked terms of the previous question (a follow-up's topic) that the question does not repeat."""
    params: ExtractiveParams

    @functools.cached_property
    def q_numbers(self) -> set[str]:
        """The numbers the question states itself (in digits, 两 → 2): never the answer."""
        return {n for n, _u, _a, _b in numbers_in(normalize(arabic(self.query.typed)))}
