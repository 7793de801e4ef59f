"""Parsing a report into its official heading tree, with every span in original-file offsets.

The report is read line by line. Each line is boilerplate (browser warnings, breadcrumbs, page footers,
publish-date lines), the title, a heading, or content. Headings are ranked by their numbering style
(第X章 → 一、 → （一） → 1. → （1）), never by Markdown level. Content lines broken by page-break blank lines
are joined in a *clean view* of the text, whose every character maps back to the original file.

    lines   the lines and their classes (boilerplate, date, heading, content), HEADING_STYLES
    head    the title, the page's fields, the division code
    tree    Section, ParsedReport, the heading tree
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text.analysis import without_pinyin
from bot.types import SpanMap
from ingest.load import RawReport
from ingest.parse.head import DATE_FIELD, division_code, find_title, head_fields, title_below
from ingest.parse.lines import (
    HEADING_STYLES,
    SENT_FINAL,
    Line,
    classify,
    is_breadcrumb,
    keep_spans,
    mark_tail,
    split_lines,
    strip_markup,
    trimmed_span,
)
from ingest.parse.tree import ParsedReport, Section, build_sections

# a paragraph broken by a blank line goes on in the next line only from a line this long (a wrapped line)
_WRAPPED_MIN = 20


def parse_text(raw: RawReport) -> ParsedReport:
    """Parse a report into the clean view and its section tree (metadata filled by `ingest.meta`)."""
    from ingest.meta import extract_meta

    text = raw.text
    lines = split_lines(text)
    classify(lines, text)
    title_i = find_title(lines)
    title_j = title_below(lines, title_i) if title_i is not None else None
    for k in (title_i, title_j):
        if k is not None:
            lines[k].kind = "title"
    mark_tail(lines)
    clean, spans, line_clean_start = _clean_view(lines, text)
    sections = build_sections(lines, line_clean_start, clean, spans)
    boiler = [(ln.start, ln.end) for ln in lines if ln.kind in ("boilerplate", "tail", "date")]
    head = _head_of(lines, title_i, title_j)
    meta = extract_meta(
        raw,
        clean,
        title_line=head.title_line,
        date_text=head.date_text,
        breadcrumb=head.breadcrumb,
        signature=head.signature,
        code=head.code,
    )
    if title_i is not None:
        meta.title_span = list(trimmed_span(lines[title_i], text))
        if title_j is not None:
            meta.title_span[1] = trimmed_span(lines[title_j], text)[1]
    if head.date_line is not None and meta.published:
        meta.published_span = list(_stripped(text, head.date_line.start, head.date_line.end))
    return ParsedReport(
        meta=meta,
        text=text,
        clean=clean,
        spans=spans,
        sections=sections,
        boilerplate=boiler,
        date_text=head.date_text,
    )


def _clean_view(lines: list[Line], text: str) -> tuple[str, SpanMap, dict[int, int]]:
    """The clean view (headings and content, a paragraph broken by a blank line joined again), its map back to
    the file's offsets, and where each kept line starts in it."""
    clean_parts: list[str] = []
    runs: list[tuple[int, int]] = []
    clen = 0
    line_clean_start: dict[int, int] = {}
    prev: Line | None = None

    def emit(a: int, b: int) -> None:
        nonlocal clen
        if not runs or runs[-1][1] + (clen - runs[-1][0]) != a:
            runs.append((clen, a))
        clean_parts.append(text[a:b])
        clen += b - a

    for i in [i for i, ln in enumerate(lines) if ln.kind in ("heading", "content")]:
        ln = lines[i]
        ln.keep = keep_spans(ln, text)
        if not ln.keep:
            continue
        if prev is not None:
            joined = (
                ln.kind == "content"
                and (prev.kind == "content" or prev.is_paragraph)
                and text[prev.keep[-1][1] - 1] not in SENT_FINAL
                and ln.start > prev.end + (2 if text.startswith("\r\n", prev.end) else 1)  # blank line between
                and prev.end - prev.start >= _WRAPPED_MIN  # (a short line is a line of its own: "武汉市水务局")
            )
            if not joined:
                nl = prev.end if text[prev.end] == "\n" else prev.end + 1
                emit(nl, nl + 1)
        line_clean_start[i] = clen
        for a, b in ln.keep:
            emit(a, b)
        prev = ln
    return "".join(clean_parts), SpanMap(tuple(runs) if runs else ((0, 0),)), line_clean_start


@dataclass
class _Head:
    """What a page's head says of it: its title line, date (and the line giving it), breadcrumb, signature and
    the division code of its 索引号."""

    title_line: str | None
    date_text: str | None
    date_line: Line | None
    breadcrumb: str | None
    signature: str | None
    code: str | None


def _head_of(lines: list[Line], title_i: int | None, title_j: int | None) -> _Head:
    date_line = next((ln for ln in lines if ln.kind == "date"), None)
    date_text = strip_markup(date_line.raw) if date_line else None
    title_line = without_pinyin(strip_markup(lines[title_i].raw)) if title_i is not None else None
    if title_line and title_j is not None:
        title_line = title_line.strip() + without_pinyin(strip_markup(lines[title_j].raw)).strip()
    bread = next((strip_markup(ln.raw) for ln in lines if ln.kind == "boilerplate" and is_breadcrumb(ln.raw)), None)
    tail = [strip_markup(ln.raw).strip() for ln in lines if ln.kind == "tail" and ln.raw.strip()]
    signature = next((t for t in tail[:3] if len(t) <= 40), None)
    fields = head_fields(lines, title_i)
    code = next((division_code(v) for label, v, _ln in fields if label == "索引号"), None)
    if date_line is None:  # no date line: the page's date field ("发文时间:2022年02月28日")
        date_field = next(((v, ln) for label, v, ln in fields if DATE_FIELD.fullmatch(label)), None)
        if date_field:
            date_text, date_line = date_field
    return _Head(title_line, date_text, date_line, bread, signature, code)


def _stripped(text: str, a: int, b: int) -> tuple[int, int]:
    """[a, b) without the white space at its ends."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


__all__ = ["HEADING_STYLES", "ParsedReport", "Section", "parse_text"]
