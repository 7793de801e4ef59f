"""The heading tree: `Section`s with their spans in original-file offsets, and the `ParsedReport` that holds
them with the clean view."""

from __future__ import annotations

from dataclasses import dataclass

from bot.types import ReportMeta, SectionRecord, SpanMap
from ingest.parse.lines import Line


@dataclass
class Section:
    """A node of the heading tree. `start`/`end` are original offsets of the whole section."""

    path: list[str]
    rank: float
    start: int
    end: int
    clean_start: int
    clean_end: int  # end of the whole section (children included), in clean offsets
    own_end: int  # end of the section's own text, before its first child, in clean offsets


@dataclass
class ParsedReport:
    meta: ReportMeta
    text: str
    clean: str
    spans: SpanMap
    sections: list[Section]  # document order; sections[0] is the preamble (path [])
    boilerplate: list[tuple[int, int]]  # original spans left out of every section
    date_text: str | None = None

    def section_dicts(self) -> list[SectionRecord]:
        return [SectionRecord(path=s.path, start=s.start, end=s.end) for s in self.sections if s.path]


def build_sections(lines: list[Line], line_clean_start: dict[int, int], clean: str, spans: SpanMap) -> list[Section]:
    heads = [i for i in sorted(line_clean_start) if lines[i].kind == "heading"]
    n = len(clean)
    first = line_clean_start[heads[0]] if heads else n
    sections = [Section([], -1.0, 0, 0, 0, n, first)]
    stack: list[tuple[float, str]] = []
    starts = [line_clean_start[i] for i in heads]
    for k, i in enumerate(heads):
        ln = lines[i]
        while stack and stack[-1][0] >= ln.rank:
            stack.pop()
        stack.append((ln.rank, ln.heading))
        cs = starts[k]
        own_end = starts[k + 1] if k + 1 < len(heads) else n
        ce = n
        for k2 in range(k + 1, len(heads)):
            if lines[heads[k2]].rank <= ln.rank:
                ce = starts[k2]
                break
        sections.append(Section([h for _, h in stack], ln.rank, 0, 0, cs, ce, own_end))
    for s in sections:
        a, b = s.clean_start, s.clean_end
        while b > a and clean[b - 1].isspace():
            b -= 1
        s.start, s.end = spans.span(a, b) if b > a else (0, 0)
    return sections
