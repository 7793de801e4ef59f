"""Typed records that flow between ingest, retrieval, answering, serving and eval.

Offsets (`start`, `end`) are always Python string indices into the report file's own decoded text
(BOM removed, newlines untouched), so that ``text[start:end] == quote`` holds for every citation.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field


class Region(BaseModel):
    province: str | None = None
    city: str | None = None
    district: str | None = None

    def names(self) -> list[str]:
        """Every non-empty level, most specific first."""
        return [n for n in (self.district, self.city, self.province) if n]

    def label(self) -> str:
        parts: list[str] = []
        for n in (self.province, self.city, self.district):
            if n and n not in parts:
                parts.append(n)
        return "".join(parts)


class ReportMeta(BaseModel):
    """What a report is: who issued it, for where, for which years."""

    report_id: str
    source: str = Field(description="The report's file name, relative to the reports folder.")
    title: str
    issuer: str | None = None
    region: Region = Field(default_factory=Region)
    years: list[int] = Field(default_factory=list)
    published: str | None = Field(default=None, description="ISO date YYYY-MM-DD when the report gives one.")
    published_span: list[int] | None = Field(
        default=None, description="[start, end) of the publish-date text in the file, for citing it."
    )
    title_span: list[int] | None = Field(
        default=None, description="[start, end) of the title line in the file, when the report has one."
    )
    content_hash: str = ""
    n_chars: int = 0
    page_starts: list[int] | None = Field(
        default=None, description="Offsets where each page begins (paginated sources such as PDF)."
    )

    def page_of(self, offset: int) -> int | None:
        """1-based page holding `offset`, for paginated sources; None otherwise."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    @property
    def short_name(self) -> str:
        """How an answer names the report: '白云区人社局2020年报告'."""
        org = self.issuer or ""
        for name in (self.region.province, self.region.city, self.region.district):
            if name and org.startswith(name):
                org = org[len(name) :]
        for long, short in _ISSUER_ABBREVIATIONS:
            org = org.replace(long, short)
        place = self.region.district or self.region.city or self.region.province or ""
        from bot.text.places import stem

        if any(n and len(stem(n)) >= 2 and org.startswith(stem(n)) for n in self.region.names()):
            place = ""  # the issuer names its place in its own short form ("红河州生态环境局")
        city = self.region.city
        if self.region.district and city and city != self.region.district and not place.startswith(city[:2]):
            from bot.text.gazetteer import Gazetteer

            if len(Gazetteer.default().lookup(self.region.district)) > 1:
                place = city + place  # "广州市白云区": a district name that several cities have needs its city
        who = place + org if (place or org) else self.title
        yrs = ""
        if self.years:
            yrs = f"{self.years[0]}年" if len(self.years) == 1 else f"{self.years[0]}—{self.years[-1]}年"
        sep = " " if yrs and who[-1:].isascii() else ""  # a title that is a file name: "p005 2025年报告"
        return f"{who}{sep}{yrs}报告"


_ISSUER_ABBREVIATIONS = (
    ("人力资源和社会保障局", "人社局"),
    ("人力资源社会保障局", "人社局"),
    ("人力资源和社会保障厅", "人社厅"),
    ("人力资源社会保障厅", "人社厅"),
)


class SectionRecord(TypedDict):
    """A section of a report as the index stores it: its heading path and its span of the report's text."""

    path: list[str]
    start: int
    end: int


class IngestRecord(TypedDict):
    """One report as reports.json stores it: its metadata (a ReportMeta dumped), sections and full text."""

    meta: dict[str, Any]
    sections: list[SectionRecord]
    text: str


@dataclass(frozen=True)
class SpanMap:
    """Maps offsets in a cleaned string back to offsets in the original text.

    Cleaning only deletes characters (boilerplate, Markdown markers, page-break newlines), so the map is a
    list of runs: ``runs[i] = (clean_start, orig_start)``; inside a run both advance together.
    """

    runs: tuple[tuple[int, int], ...]

    def to_orig(self, clean_pos: int) -> int:
        i = bisect_right([r[0] for r in self.runs], clean_pos) - 1
        c0, o0 = self.runs[max(i, 0)]
        return o0 + (clean_pos - c0)

    def span(self, clean_start: int, clean_end: int) -> tuple[int, int]:
        """Original [start, end) of the clean span [clean_start, clean_end) (end exclusive, non-empty)."""
        if clean_end <= clean_start:
            p = self.to_orig(clean_start)
            return p, p
        return self.to_orig(clean_start), self.to_orig(clean_end - 1) + 1

    def slice(self, clean_start: int, clean_end: int) -> SpanMap:
        """The map of the substring clean[clean_start:clean_end], rebased to start at 0."""
        out = [(0, self.to_orig(clean_start))]
        for c0, o0 in self.runs:
            if clean_start < c0 < clean_end:
                out.append((c0 - clean_start, o0))
        return SpanMap(tuple(out))

    def to_list(self) -> list[list[int]]:
        return [list(r) for r in self.runs]

    @classmethod
    def from_list(cls, runs: list[list[int]] | list[tuple[int, int]]) -> SpanMap:
        return cls(tuple((int(a), int(b)) for a, b in runs))


@dataclass
class Chunk:
    """A piece of one section. `text` is the cleaned text used for matching; `quote` the original slice."""

    id: str
    report_id: str
    source: str
    section_path: list[str]
    text: str
    quote: str
    start: int
    end: int
    n_tokens: int
    spans: SpanMap
    header: str = ""

    def orig_span(self, clean_start: int, clean_end: int) -> tuple[int, int]:
        """Original-file offsets of a span of `text`."""
        return self.spans.span(clean_start, clean_end)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "report_id": self.report_id,
            "source": self.source,
            "section_path": self.section_path,
            "text": self.text,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "n_tokens": self.n_tokens,
            "spans": self.spans.to_list(),
            "header": self.header,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Chunk:
        return cls(
            id=d["id"],
            report_id=d["report_id"],
            source=d["source"],
            section_path=list(d["section_path"]),
            text=d["text"],
            quote=d["quote"],
            start=int(d["start"]),
            end=int(d["end"]),
            n_tokens=int(d["n_tokens"]),
            spans=SpanMap.from_list(d["spans"]),
            header=d.get("header", ""),
        )


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the per-retriever ranks that produced it."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)

    def as_context(self) -> Context:
        """What an answer reports of the hit: where the chunk lies in its file, and its score."""
        return Context(source=self.chunk.source, start=self.chunk.start, end=self.chunk.end, score=self.score)


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    report_id: str
    source: str
    title: str
    section: list[str]
    quote: str
    start: int
    end: int
    page: int | None = None


class Context(BaseModel):
    source: str
    start: int
    end: int
    score: float


class Answer(BaseModel):
    """The answer contract shared by the CLI, the API and the eval."""

    answer: str
    answerable: bool
    mode: Literal["extractive", "generative"] = "extractive"
    citations: list[Citation] = Field(default_factory=list)
    contexts: list[Context] = Field(default_factory=list)
    resolved_question: str | None = None
    reason: str | None = Field(default=None, description="Why the bot refused or fell back, when it did.")


CANNOT_ANSWER = "CANNOT_ANSWER"
