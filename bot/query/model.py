"""The parsed question: `Query` and the kinds of answer a question asks for (`QType`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

QType = Literal["count", "percent", "amount", "who", "when", "name", "rank", "list", "yesno", "how", "compare", "fact"]


@dataclass
class Query:
    """A question made explicit: its text, what it refers to, and what kind of answer it wants."""

    question: str
    text: str  # the resolved question used for retrieval
    focus: str  # the part that states what is asked (the question itself for a follow-up)
    qtype: QType
    unit: str | None = None
    report_ids: list[str] = field(default_factory=list)  # reports the question names (filter)
    regions: list[str] = field(default_factory=list)  # place names mentioned
    unknown_regions: list[str] = field(default_factory=list)  # mentioned but no report covers them
    years: list[int] = field(default_factory=list)
    uncovered_years: list[int] = field(default_factory=list)  # named years no matched report covers
    context: str = ""  # the previous question, for follow-ups
    compare: bool = False
    survey: bool = False  # asks across the collection with no report named: each report that answers
    asks: int = 1  # how many numbers the question asks for ("办了多少期，培训了多少人" → 2)
    named: bool = False  # the question (or the one it follows) names its one report by place or issuer
