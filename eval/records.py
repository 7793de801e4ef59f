"""The records the eval passes around: gold items, what the bot answered, and the score of one item.

Gold items come from ``eval/gold/*.jsonl``; `BotRecord` is one line of ``answers.jsonl``; `ItemScore` is one
item's verdict in ``summary.json``. They are plain dataclasses so the metrics stay pure functions over them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ITEM_TYPES: tuple[str, ...] = (
    "numeric",
    "fact",
    "list",
    "paraphrase",
    "cross",
    "collection",
    "unanswerable",
    "followup",
)
"""The allowed values of a gold item's ``type``, in the order reports list them."""


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) in one report file's decoded text."""

    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Evidence:
    """Where the gold answer is stated: an exact quote of a report file (and its section, for people)."""

    file: str
    quote: str
    section: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    type: str
    answerable: bool
    answer: str
    must_include: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # (role, content) of earlier turns, oldest first
    twin_of: str = ""  # a reworded twin: the id of the tuning item it rewords
    moved_from: str = ""  # "heldout" when a held-out item was studied to fix a bug and moved to tuning

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GoldItem:
        """Build from an already validated gold line (see `eval.gold.item_problems`)."""
        return cls(
            id=d["id"],
            question=d["question"],
            type=d["type"],
            answerable=d["answerable"],
            answer=d["answer"],
            must_include=tuple(d["must_include"]),
            evidence=tuple(Evidence(e["file"], e["quote"], e.get("section", "")) for e in d["evidence"]),
            history=tuple((t["role"], t["content"]) for t in d.get("history", [])),
            twin_of=d.get("twin_of", ""),
            moved_from=d.get("moved_from", ""),
        )


@dataclass
class BotRecord:
    """What the bot returned for one gold item: one line of ``answers.jsonl``.

    `error` is set (and the answer empty) when the bot raised a `ReportQAError` for the question.
    """

    id: str
    question: str
    answer: str
    answerable: bool
    citations: list[dict[str, Any]] = field(default_factory=list)
    contexts: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float = 0.0
    error: str | None = None
    mode: str = "extractive"  # "generative" when an LLM wrote the answer (an LLM run that fell back says extractive)
    reason: str | None = None  # the answer's reason: why it refused, fell back, or what verification changed

    def citation_spans(self) -> list[Span]:
        return [Span(c["source"], int(c["start"]), int(c["end"])) for c in self.citations]

    def context_spans(self) -> list[Span]:
        return [Span(c["source"], int(c["start"]), int(c["end"])) for c in self.contexts]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        if d["error"] is None:
            del d["error"]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BotRecord:
        return cls(
            id=d["id"],
            question=d["question"],
            answer=d["answer"],
            answerable=bool(d["answerable"]),
            citations=list(d.get("citations", [])),
            contexts=list(d.get("contexts", [])),
            latency_ms=float(d.get("latency_ms", 0.0)),
            error=d.get("error"),
            mode=str(d.get("mode", "extractive")),
            reason=d.get("reason"),
        )


@dataclass
class ItemScore:
    """Every per-item measurement, plus the verdict. Fields that do not apply to the item are None.

    Answer-quality fields (`missing_facts`, `concise`, `cited`, `citation_precision`, `context_rank`,
    `token_f1`) apply to answerable gold items only; `refused` applies to all.
    """

    id: str
    type: str
    answerable: bool  # the gold label
    refused: bool  # the bot said answerable == false, or failed with an error
    passed: bool
    reason: str  # what failed, "; "-separated; "" when passed
    latency_ms: float
    error: str | None = None
    missing_facts: list[str] | None = None
    answer_chars: int | None = None
    max_chars: int | None = None
    concise: bool | None = None
    cited: bool | None = None
    citation_hits: list[bool] = field(default_factory=list)  # per citation: overlaps a gold span?
    citation_precision: float | None = None
    context_rank: int | None = None  # 1-based rank of the first context overlapping a gold span
    token_f1: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ItemScore:
        return cls(**d)
