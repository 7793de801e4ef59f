"""Cutting sections into chunks: never across a section, cuts at sentence ends, within a token budget."""

from __future__ import annotations

import hashlib
import re

from bot.errors import ConfigError
from bot.text.analysis import count_tokens, sentence_spans
from bot.types import Chunk
from ingest.parse import ParsedReport, Section

_CLAUSE_END = re.compile(r"[，,、：:]")


def header_for(title: str, path: list[str]) -> str:
    """The contextual header indexed with a chunk (not part of its quote)."""
    return title + ("｜" + " > ".join(path) if path else "")


def chunk_report(report: ParsedReport, max_tokens: int = 300) -> list[Chunk]:
    """All chunks of a report, in document order."""
    if max_tokens <= 20:
        raise ConfigError(f"chunk token budget must be > 20, got {max_tokens}")
    chunks: list[Chunk] = []
    for sec in report.sections:
        a, b = _own_body(report, sec)
        if b <= a:
            continue
        for cs, ce in _cut(report.clean, a, b, max_tokens):
            chunks.append(_make_chunk(report, sec, cs, ce))
    return chunks


def _own_body(report: ParsedReport, sec: Section) -> tuple[int, int]:
    """The clean span of a section's own text; a standalone heading line is left out."""
    clean = report.clean
    a, b = sec.clean_start, sec.own_end
    if sec.path:
        nl = clean.find("\n", a, b)
        first_line = clean[a : nl if nl >= 0 else b]
        is_paragraph = len(first_line) > len(sec.path[-1].rstrip("…")) + 2
        if not is_paragraph:
            a = nl + 1 if nl >= 0 else b
    while a < b and clean[a].isspace():
        a += 1
    while b > a and clean[b - 1].isspace():
        b -= 1
    return a, b


def _cut(clean: str, a: int, b: int, max_tokens: int) -> list[tuple[int, int]]:
    """Greedy packing of sentences into spans of at most `max_tokens` tokens."""
    pieces: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for s, e in sentence_spans(clean[a:b]):
        s, e = s + a, e + a
        n = count_tokens(clean[s:e])
        if n <= max_tokens:
            pieces.append((s, e, n))
        else:
            pieces.extend(_split_long(clean, s, e, max_tokens))
    out: list[tuple[int, int]] = []
    cur_s = cur_e = -1
    cur_n = 0
    for s, e, n in pieces:
        if cur_s >= 0 and cur_n + n > max_tokens:
            out.append((cur_s, cur_e))
            cur_s, cur_n = -1, 0
        if cur_s < 0:
            cur_s = s
        cur_e = e
        cur_n += n
    if cur_s >= 0:
        out.append((cur_s, cur_e))
    return out


def _split_long(clean: str, s: int, e: int, max_tokens: int) -> list[tuple[int, int, int]]:
    """A sentence longer than the budget: cut at clause marks, else hard-cut by characters."""
    out: list[tuple[int, int, int]] = []
    start = s
    last_ok = -1
    i = s
    while i < e:
        m = _CLAUSE_END.search(clean, i, e)
        j = m.end() if m else e
        if count_tokens(clean[start:j]) <= max_tokens:
            last_ok = j
            i = j
            if j == e:
                break
            continue
        if last_ok > start:
            out.append((start, last_ok, count_tokens(clean[start:last_ok])))
            start = last_ok
            last_ok = -1
            continue
        # one clause alone is too long: cut by characters
        step = max(8, int(max_tokens / 1.5))
        j = min(start + step, e)
        out.append((start, j, count_tokens(clean[start:j])))
        start = i = j
    if start < e:
        out.append((start, e, count_tokens(clean[start:e])))
    return out


def _make_chunk(report: ParsedReport, sec: Section, cs: int, ce: int) -> Chunk:
    meta = report.meta
    start, end = report.spans.span(cs, ce)
    cid = hashlib.sha1(f"{meta.source}|{start}|{end}|{meta.content_hash}".encode()).hexdigest()[:20]
    text = report.clean[cs:ce]
    return Chunk(
        id=cid,
        report_id=meta.report_id,
        source=meta.source,
        section_path=list(sec.path),
        text=text,
        quote=report.text[start:end],
        start=start,
        end=end,
        n_tokens=count_tokens(text),
        spans=report.spans.slice(cs, ce),
        header=header_for(meta.title, sec.path),
    )
