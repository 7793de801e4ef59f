"""List answers: a section's sub-headings, the 一是/二是 items of its text, or the items of "：A；B；C"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.answer.extractive.compose import cite, compose, lead, span_citation
from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.params import ExtractiveParams
from bot.answer.extractive.spans import Candidate, Piece, narrow, strip_numbering, tighten, trim
from bot.answer.extractive.terms import term_match
from bot.text.analysis import normalize
from bot.text.injection import is_flagged
from bot.types import Answer, Citation

if TYPE_CHECKING:
    from bot.store import ReportRecord


def section_list(ctx: AnswerContext) -> Answer | None:
    """A list question whose answer is a section: its sub-headings, or the 一是/二是 items of its text."""
    best = _best_section(ctx)
    if best is None:
        return None
    rid, path = best
    data = ctx.data
    rec = data.reports[rid]
    announced = children_answer(rec, path, ctx.params, ctx.query.named)
    if announced:
        return announced
    own = [c for c in data.chunks if c.report_id == rid and c.section_path == path]
    if not own:
        return None
    pieces = list_pieces(Candidate(0, own[0], 0, len(own[0].text)), ctx.params)
    if not pieces:
        return None
    citations: list[Citation] = []
    items: list[str] = []
    for p in pieces:
        citations.append(cite(data, p))
        items.append(f"{p.text}[{len(citations)}]")
    body = "；".join(items)
    return Answer(
        answer=f"{lead(rec, ctx.query.named)}“{strip_numbering(path[-1])}”包括：{body}。",
        answerable=True,
        citations=citations,
    )


def _best_section(ctx: AnswerContext) -> tuple[str, list[str]] | None:
    """(report id, section path) of the section whose heading covers the asked terms best, if well enough."""
    query, data, p = ctx.query, ctx.data, ctx.params
    if not ctx.terms:
        return None
    rids = query.report_ids or list(dict.fromkeys(h.chunk.report_id for h in ctx.hits[:3]))
    wts = {t: ctx.weights.idf(t) for t in ctx.terms}
    total = sum(wts.values()) or 1.0
    years = [f"{y}年" for y in query.uncovered_years]
    best: tuple[float, str, list[str]] | None = None
    for rid in rids:
        rec = data.reports.get(rid)
        if rec is None:
            continue
        for sec in rec.sections:
            path = sec["path"]
            head = normalize(strip_numbering(path[-1]))
            cov = sum(w * term_match(t, head) for t, w in wts.items()) / total
            if years and not any(y in rec.text[sec["start"] : sec["end"]] for y in years):
                continue
            score = cov - p.section_length_cost * len(head)
            if best is None or score > best[0] + 1e-9:
                best = (score, rid, path)
    if best is None or best[0] < p.min_section_coverage:
        return None
    return best[1], best[2]


def list_answer(ctx: AnswerContext, best: Candidate) -> Answer:
    """The answer to a list question from its best sentence: what it announces, its items, or itself."""
    if re.search(r"以下|如下|下列", best.text):
        rec = ctx.data.reports[best.chunk.report_id]
        announced = children_answer(rec, best.chunk.section_path, ctx.params, ctx.query.named)
        if announced:
            return announced
    pieces = list_pieces(best, ctx.params)
    if not pieces:
        whole = tighten(trim(Piece(best.chunk, best.start, best.end)), ctx)
        fits = len(whole.text) <= ctx.params.list_whole_max_chars
        pieces = [whole if fits else narrow(best, ctx, ctx.terms, ctx.ctx_terms)]
    return compose(ctx.data, pieces, named=ctx.query.named)


def children_answer(rec: ReportRecord, path: list[str], params: ExtractiveParams, named: bool = False) -> Answer | None:
    """List the sub-sections of a section: their headings, each cited at its heading line."""
    children = [c for c in rec.sections if len(c["path"]) == len(path) + 1 and c["path"][:-1] == path]
    if len(children) < 2:
        return None
    citations: list[Citation] = []
    items: list[str] = []
    for c in children[: params.max_children]:
        a = c["start"]
        line_end = rec.text.find("\n", a, c["end"])
        b = line_end if line_end > 0 else c["end"]
        # cite the heading line and the first sentence of its text: what the item stands for
        stop = re.search(r"[。；;]", rec.text[b + 1 : c["end"]]) if b < c["end"] else None
        if stop and stop.start() < params.child_lead_chars:
            b = b + 1 + stop.start() + 1
        elif (inline := re.search(r"[。；;]", rec.text[a:b])) is not None:
            b = a + inline.start() + 1
        citations.append(span_citation(rec, a, b, c["path"]))
        items.append(f"{strip_numbering(c['path'][-1])}[{len(citations)}]")
    title = strip_numbering(path[-1]) if path else rec.meta.title
    return Answer(
        answer=f"{lead(rec, named)}“{title}”包括：{'；'.join(items)}。",
        answerable=True,
        citations=citations,
    )


# an item's lead of a 一是/二是 enumeration, at a sentence's or clause's start
_LEAD = re.compile(r"(?:^|[。；;！\n:：,，])\s*([一二三四五六七八九十]是)")


def list_pieces(cand: Candidate, params: ExtractiveParams) -> list[Piece]:
    """Items of an enumeration: 一是…二是… leads, or the items after a colon separated by semicolons."""
    text = cand.chunk.text
    # 一是/二是 leads across the chunk (the sentence may be one of several items)
    leads = list(_LEAD.finditer(text))
    inside = [m for m in leads if cand.start <= m.start(1) < cand.end]
    if len(leads) >= 2 and inside:
        pieces = []
        for m in leads:
            s = m.start(1)
            stop = re.search(r"[。；;，,:：]", text[s:])
            e = s + (stop.start() if stop else len(text) - s)
            pieces.append(Piece(cand.chunk, s, e))
        return _unflagged(pieces)[: params.max_list_items]
    # "主要表现为：A，…；B，…；C…" — the items after a colon, separated by semicolons
    lo = 0 if cand.start == 0 else max(0, text.rfind("。", 0, cand.start) + 1)
    for m in re.finditer(r"[：:]([^。：:]*[；;][^。：:]*)(?:。|$)", text[lo:]):
        body_start, e = lo + m.start(1), lo + m.end(1)
        parts = [p for p in re.split(r"[；;]", text[body_start:e]) if p.strip()]
        if len(parts) >= 2:
            pieces, pos = [], body_start
            for part in parts:
                ps = text.find(part, pos)
                clause = re.split(r"[，,]", part)[0]
                pieces.append(trim(Piece(cand.chunk, ps, ps + len(clause))))
                pos = ps + len(part)
            return _unflagged(pieces)[: params.max_list_items]
    return []


def enumeration_rest(piece: Piece, cand: Candidate, max_chars: int) -> list[Piece]:
    """The later items of an enumeration that the piece opens ("存在以下问题:一是…"; then "二是…", "三是…"):
    an answer that names the whole enumeration and quotes its first item owes the others, while all of them
    fit in `max_chars`. [] when the piece does not hold the enumeration's lead-in before its first item."""
    text = cand.chunk.text
    leads = list(_LEAD.finditer(text))
    first = next((m for m in leads if piece.start <= m.start(1) < piece.end), None)
    if first is None or first.group(1) != "一是" or not text[piece.start : first.start(1)].strip("，,:： "):
        return []
    out: list[Piece] = []
    total = piece.end - piece.start
    for m in leads[leads.index(first) + 1 :]:
        s = m.start(1)
        if s < piece.end:
            continue
        stop = re.search(r"[。；;]", text[s:])
        e = s + (stop.start() if stop else len(text) - s)
        total += e - s
        if total > max_chars:
            return []
        out.append(trim(Piece(cand.chunk, s, e)))
    return _unflagged(out)


def _unflagged(pieces: list[Piece]) -> list[Piece]:
    """The items that are not inside a sentence addressing the reader or the model."""
    return [p for p in pieces if not is_flagged(p.chunk.text, p.start, p.end)]
