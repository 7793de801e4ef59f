"""Every sentence of the retrieved chunks scored against the question: coverage of the asked terms plus the
asked kind of fact, less what makes a sentence the wrong one (a target, the section's own heading)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.facts import numbers_in, title_verb, type_ok
from bot.answer.extractive.spans import Candidate, is_heading_echo
from bot.answer.extractive.terms import SYNONYM, is_nounish, term_match
from bot.text.analysis import normalize, sentence_spans
from bot.text.injection import is_flagged
from bot.types import Chunk, Hit

_ASPIRATION = re.compile(r"力争|争取|计划|预计|目标|拟|将(?:进一步|继续|着力|力争)?|下一步|明年")


def candidates(ctx: AnswerContext, hits: Sequence[Hit]) -> list[Candidate]:
    """The sentences of the hits, best first."""
    scorer = _Scorer(ctx)
    out: list[Candidate] = []
    for rank, h in enumerate(hits):
        head = normalize(" ".join(h.chunk.section_path))
        for s, e in sentence_spans(h.chunk.text):
            if is_flagged(h.chunk.text, s, e):
                continue  # a sentence that addresses the reader or the model is never an answer
            sent = normalize(h.chunk.text[s:e])
            # a table's row is read with its header row ("政府集中采购 | 9 | 712万元" under "采购项目数量 | 采购总金额")
            row_head = head + " " + normalize(_row_header(ctx, h, s)) if "|" in sent else head
            # a sentence the chunk cuts (a long one across two chunks) is weighed whole: its asked terms may be in
            # the other chunk's half, and the asked fact in this one
            whole = _whole_sentence(ctx, h, s, e)
            cov, matched = scorer.coverage(normalize(whole) if whole else sent, row_head)
            c = Candidate(rank, h.chunk, s, e, coverage=cov, matched=matched)
            c.key_ok = scorer.key_ok(sent, row_head)
            c.type_ok = type_ok(ctx.query, sent, ctx.q_numbers)
            c.score = cov + scorer.bonus(c, sent, h.chunk) + ctx.params.rank_bonus / (1 + rank)
            out.append(c)
    out.sort(key=lambda c: -c.score)
    return out


_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_CUT_REACH = 400


def _whole_sentence(ctx: AnswerContext, hit: Hit, s: int, e: int) -> str | None:
    """The whole sentence in the report's own text when the chunk begins or ends inside it, else None."""
    text = hit.chunk.text
    if (s > 0 or hit.chunk.start == 0) and (e < len(text) or _SENTENCE_END.match(text, e - 1)):
        return None
    rec = ctx.data.reports.get(hit.chunk.report_id)
    if rec is None:
        return None
    a, b = hit.chunk.orig_span(s, e)
    head = a
    if s == 0:
        ends = list(_SENTENCE_END.finditer(rec.text, max(0, a - _CUT_REACH), a))
        head = ends[-1].end() if ends else a
    tail = b
    if e == len(text) and not _SENTENCE_END.match(text, e - 1):
        nxt = _SENTENCE_END.search(rec.text, b, b + _CUT_REACH)
        tail = nxt.start() if nxt else b
    return rec.text[head:tail] if (head, tail) != (a, b) else None


def _row_header(ctx: AnswerContext, hit: Hit, at: int) -> str:
    """The header row of a table row of the hit's chunk, read in the report's whole text (a chunk may begin
    inside a table)."""
    rec = ctx.data.reports.get(hit.chunk.report_id)
    offset = hit.chunk.start + at
    if rec is None or rec.text[offset : offset + 8] != hit.chunk.text[at : at + 8]:
        return table_header(hit.chunk.text, at)
    return table_header(rec.text, offset)


def table_header(text: str, at: int) -> str:
    """The header row over the table row that begins at `at`: the nearest line of cells above it that holds
    labels, no figures ("信息内容 | 采购项目数量 | 采购总金额"); "" when there is none."""
    start = text.rfind("\n", 0, at) + 1
    while start > 0:
        prev_start = text.rfind("\n", 0, start - 1) + 1
        line = text[prev_start : start - 1]
        if line.count("|") < 2:
            return ""
        if not re.search(r"\d", line) and re.search(r"[\u4e00-\u9fa5]", line):
            return line
        start = prev_start
    return ""


class _Scorer:
    """The question-level part of scoring (term weights, the key term, the year asked), computed once."""

    def __init__(self, ctx: AnswerContext):
        query, weights = ctx.query, ctx.weights
        self.ctx = ctx
        self.wts = {t: weights.idf(t) for t in ctx.terms}
        self.cwts = {t: ctx.params.context_term_weight * weights.idf(t) for t in ctx.ctx_terms}
        self.total = sum(self.wts.values()) + sum(self.cwts.values()) or 1.0
        self.year_terms = [f"{y}年" for y in query.uncovered_years]
        # the rarest asked term that the reports use at all: a typed answer must be about it
        present = [t for t in ctx.terms if weights.df(t) > 0 and is_nounish(t)]
        numeric = query.qtype in ("count", "percent", "amount")
        self.title_verb = title_verb(query) if query.qtype == "name" else None
        self.plans = bool(_ASPIRATION.search(query.asked) or re.search(r"计划|打算|目标|下一步|明年|准备", query.asked))
        self.rarest = max(present, key=lambda t: self.wts[t]) if present else None
        self.key = self.rarest if numeric else None

    def coverage(self, sent: str, head: str) -> tuple[float, list[str]]:
        """The weighted share of the asked terms in the sentence (or its heading), and the terms it holds."""
        p = self.ctx.params
        got = 0.0
        matched = []
        for t, w in list(self.wts.items()) + list(self.cwts.items()):
            m = max(term_match(t, sent), p.heading_match_factor * term_match(t, head))
            got += w * m
            if m >= SYNONYM:
                matched.append(t)
        cov = got / self.total
        if self.key and max(term_match(self.key, sent), term_match(self.key, head)) < p.key_term_min_match:
            cov *= p.key_term_miss_factor
        if self.year_terms and not any(self._about_year(y, sent) or y in head for y in self.year_terms):
            cov = 0.0  # the asked year is not the report's: only text about that year answers
        return cov, matched

    def _about_year(self, year: str, sent: str) -> bool:
        """The sentence speaks of that year: not only as the year of a plan ("2018年我局将…"), unless the
        question asks for plans."""
        at = sent.find(year)
        if at < 0:
            return False
        return self.plans or not _ASPIRATION.search(sent, at + len(year), at + len(year) + 12)

    def key_ok(self, sent: str, head: str) -> bool:
        """The rarest asked noun is in the sentence or its heading (a feature of the answer gate)."""
        rarest, least = self.rarest, self.ctx.params.key_term_min_match
        return rarest is None or max(term_match(rarest, sent), term_match(rarest, head)) >= least

    def bonus(self, c: Candidate, sent: str, chunk: Chunk) -> float:
        """What the sentence's kind of content adds to (or takes from) its coverage."""
        query, p = self.ctx.query, self.ctx.params
        bonus = p.type_bonus if c.type_ok else 0.0
        if c.type_ok and query.asks > 1:
            found = {n for n, u, _a, _b in numbers_in(sent) if u and n not in self.ctx.q_numbers}
            bonus = p.type_bonus if len(found) >= query.asks else p.partial_asks_bonus
        if _ASPIRATION.search(sent) and not self.plans:
            bonus -= p.aspiration_penalty  # a target ("力争…达到95%") is not what was done
        if self.title_verb and re.search(self.title_verb, sent):
            bonus += p.title_verb_bonus  # "按哪个文件" → "根据《…》"; "出了什么制度" → "制订《…》"
        if chunk.section_path and is_heading_echo(sent, chunk.section_path[-1]):
            bonus -= p.heading_echo_penalty  # the section's own title says what it is about, not what was done
        return bonus
