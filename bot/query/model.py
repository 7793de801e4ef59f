"""The parsed question: `Query` and the kinds of answer a question asks for (`QType`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

QType = Literal["count", "percent", "amount", "who", "when", "name", "rank", "list", "yesno", "how", "compare", "fact"]


@dataclass
class Query:
    """A question made explicit: a text for each stage that reads one, what it refers to, the answer it wants."""

    typed: str
    """The user's question as received, after the input checks (instructions stripped, "第二个" resolved from
    the history). Read by the catalog's scope questions, the generative prompt and its verification (numbers
    the question states), and the extractive answerer's titles, writer, bodies named and stated numbers."""
    search_text: str
    """The resolved question retrieval reads: `typed`, or for a follow-up the previous question with the place
    swapped or appended. Shown to the user as `Answer.resolved_question` when it differs from `typed`."""
    asked: str
    """The part that states what is asked: `search_text` for an entity-swap follow-up ("那嘉定区呢？"), else
    `typed`. Read by the question's kind (`classify`) and the extractive answerer's term coverage, parts,
    negations and fact rules."""
    qtype: QType
    unit: str | None = None
    report_ids: list[str] = field(default_factory=list)  # reports the question names (filter)
    regions: list[str] = field(default_factory=list)  # place names mentioned
    unknown_regions: list[str] = field(default_factory=list)  # mentioned but no report covers them
    years: list[int] = field(default_factory=list)
    uncovered_years: list[int] = field(default_factory=list)  # named years no matched report covers
    previous: str = ""
    """The previous question, for a follow-up that keeps its topic ("" otherwise). Read by the question's kind
    when `asked` says none of its own, and by the extractive answerer's term coverage (its topic terms)."""
    compare: bool = False
    survey: bool = False  # asks across the collection with no report named: each report that answers
    asks: int = 1  # how many numbers `asked` asks for ("办了多少期，培训了多少人" → 2)
    named: bool = False  # the question (or the one it follows) names its one report by place or issuer
