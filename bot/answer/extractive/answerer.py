"""The extractive answerer: refuses from the metadata, else answers one report or compares several."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from bot import coverage
from bot.answer.extractive.accept import Trace, acceptor
from bot.answer.extractive.compose import (
    NO_HITS,
    NOT_UNDERSTOOD,
    cite,
    compose,
    metadata_answer,
    refuse,
    side_labels,
)
from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.facts import TITLE_KINDS, numbers_in, type_ok
from bot.answer.extractive.lists import enumeration_rest, list_answer, section_list
from bot.answer.extractive.params import ExtractiveParams
from bot.answer.extractive.parts import other_parts
from bot.answer.extractive.scoring import candidates
from bot.answer.extractive.spans import (
    Candidate,
    Piece,
    clauses,
    narrow,
    next_sentence,
    tighten,
    trim,
    with_number_run,
    with_share,
    with_short_tail,
)
from bot.answer.extractive.terms import ABBREVIATION, TermWeights, asked_terms, entity_words, term_match
from bot.decision import AnswerGate
from bot.query import Query
from bot.text.analysis import normalize
from bot.text.lexicon import section_words
from bot.types import Answer, Citation, Context, Hit

if TYPE_CHECKING:
    from bot.store import IndexData

DEFAULT_PARAMS = ExtractiveParams()


class PreparedQuestion(Protocol):
    """What the answerer reads of a prepared question (bot.pipeline.Prepared), without importing the pipeline."""

    @property
    def query(self) -> Query: ...
    @property
    def hits(self) -> Sequence[Hit]: ...
    @property
    def data(self) -> IndexData: ...


class ExtractiveAnswerer:
    """Answers from the retrieved chunks alone: no model, no network."""

    def __init__(self, params: ExtractiveParams = DEFAULT_PARAMS, gate: AnswerGate | str | None = "fitted"):
        """`gate`: an answer-or-refuse gate, "fitted" for the one in bot/answer_gate.json (if any), or None for
        the coverage thresholds of `params`."""
        self.params = params
        self.gate: AnswerGate | None = AnswerGate.load() if isinstance(gate, str) else gate
        self.trace: Trace | None = None  # set to a list to record each decision (calibration)
        self._weights: TermWeights | None = None
        self._catalog = coverage.Catalog(params.catalog_shown)

    def answer(self, prep: PreparedQuestion) -> Answer:
        hits, data = prep.hits, prep.data
        query = coverage.scoped(prep.query, data)
        contexts = [Context(source=h.chunk.source, start=h.chunk.start, end=h.chunk.end, score=h.score) for h in hits]
        refusal = self.metadata_refusal(query, data)
        if refusal:
            return Answer(answer=refusal, answerable=False, contexts=contexts, reason="not covered")
        if not hits:
            return Answer(answer=NO_HITS, answerable=False, contexts=contexts, reason="no hits")
        ctx = self._context(query, hits, data)
        if not ctx.terms and not ctx.ctx_terms and not query.regions and not query.years:
            return Answer(
                answer=NOT_UNDERSTOOD,
                answerable=False,
                contexts=contexts,
                reason="no content words in the question",
            )
        meta_answer = metadata_answer(query, data)
        if meta_answer:
            meta_answer.contexts = contexts
            return meta_answer
        ans = self._compare(ctx) if query.compare and len(query.report_ids) > 1 else self._single(ctx)
        ans.contexts = contexts
        ans.resolved_question = query.search_text if query.search_text != query.typed else None
        return ans

    def evidence(self, prep: PreparedQuestion) -> list[Candidate]:
        """The sentences of the retrieved chunks, best evidence first (as this answerer scores them).

        Generative mode builds a small model's prompt from the first few (bot.llm, compact context).
        """
        if not prep.hits:
            return []
        return candidates(self._context(coverage.scoped(prep.query, prep.data), prep.hits, prep.data), prep.hits)

    def metadata_refusal(self, query: Query, data: IndexData) -> str | None:
        """The refusal of a question about a place or year no report covers (bot.coverage; changes nothing)."""
        return coverage.refusal(query, data, self._catalog)

    def _context(self, query: Query, hits: Sequence[Hit], data: IndexData) -> AnswerContext:
        """The asked terms of the question (and of the previous one, for a follow-up) and their weights."""
        weights = self._term_weights(data)
        entity = entity_words(query, data)
        # a question about a part of the report ("哪里做得还不够") also asks for that section's heading words
        terms = asked_terms(section_words(query.asked), entity, known=lambda w: weights.df(w) > 0)
        if query.qtype == "name":
            # "哪个文件/什么制度" names the kind of title asked for; the 《…》 it needs is checked as the fact type
            terms = [t for t in terms if t not in TITLE_KINDS] or terms
        ctx_terms = [t for t in asked_terms(query.previous, entity) if t not in terms] if query.previous else []
        return AnswerContext(query, hits, data, weights, terms, ctx_terms, self.params)

    def _cite(self, data: IndexData, p: Piece) -> Citation:
        """The citation of a piece (eval.calibrate cites traced sentences with it)."""
        return cite(data, p)

    def _term_weights(self, data: IndexData) -> TermWeights:
        if self._weights is None or self._weights.generation != data.generation:
            self._weights = TermWeights(data, self.params.weak_pos_weight)
        return self._weights

    # ------------------------------------------------------------------ one report (or no report named)
    def _single(self, ctx: AnswerContext) -> Answer:
        if ctx.query.qtype == "list":
            listed = section_list(ctx)
            if listed:
                return listed
        cands = candidates(ctx, ctx.hits)
        if not cands:
            return refuse(ctx, None)
        best = self._pick(ctx, cands)
        if best is None:
            return refuse(ctx, cands[0])
        if ctx.query.qtype == "list":
            return list_answer(ctx, best)
        return compose(ctx.data, self._pieces(ctx, best), named=ctx.query.named)

    def _pick(self, ctx: AnswerContext, cands: list[Candidate]) -> Candidate | None:
        """The best candidate if it answers, else the best one holding the asked kind of fact if that one does."""
        best = cands[0]
        accept = acceptor(ctx, cands, self.gate, self.trace)
        if accept(best):
            return best
        # (the coverage thresholds take the first such sentence that passes them, as they always did)
        alt = next((c for c in cands if c is not best and c.type_ok and (self.gate or accept(c))), None)
        if alt is None or not accept(alt):
            return None
        return alt

    def _pieces(self, ctx: AnswerContext, best: Candidate) -> list[Piece]:
        """The narrowed answer, with the sentence after it when a "how" answer continues or is explained there."""
        query, p = ctx.query, self.params
        piece = with_short_tail(tighten(narrow(best, ctx, ctx.terms, ctx.ctx_terms), ctx), best, p.short_tail_chars)
        if query.qtype in ("count", "amount"):
            piece = with_number_run(with_share(piece, best, p.share_max_chars), best, p.number_run_chars)
        parts = other_parts(ctx, best, piece, p.parts_max_chars)
        if parts:
            return parts
        pieces = [piece]
        if query.qtype in ("how", "fact") and not query.compare:
            rest = enumeration_rest(piece, best, p.enumeration_max_chars)
            if rest:
                return [piece, *rest]
        nxt_cont = next_sentence(best, p.next_sentence_max_chars) if query.qtype == "how" else None
        if (
            nxt_cont
            and re.match(r"\s*(同时|此外|另外|并且|并|还)", nxt_cont.text)
            and (len(pieces[0].text) + len(nxt_cont.text) <= p.continuation_max_chars)
        ):
            pieces.append(nxt_cont)
        elif query.qtype == "how" and len(pieces[0].text) < p.short_how_chars:
            nxt = next_sentence(best, p.next_sentence_max_chars)
            if nxt:
                # "为啥…": the sentence after a short statement gives the reason; it is the answer
                why = re.search(r"为啥|为什么|原因|怎么会", query.asked) and re.search(
                    r"由于|因为|受.{1,8}影响|导致", nxt.text
                )
                pieces = [nxt] if why else [*pieces, nxt]
        return pieces

    # ------------------------------------------------------------------ several reports compared
    def _compare(self, ctx: AnswerContext) -> Answer:
        query, p = ctx.query, self.params
        pieces: list[Piece] = []
        missing: list[str] = []
        if query.survey:
            return self._survey(ctx)
        for rid in query.report_ids:
            cands = candidates(ctx, [h for h in ctx.hits if h.chunk.report_id == rid])
            # the report is named and the fact type must match: a lower coverage bar than for open questions
            typed = [c for c in cands if c.coverage >= p.compare_coverage_factor * p.min_coverage_fact and c.type_ok]
            if typed:
                pieces.append(tighten(narrow(typed[0], ctx, ctx.terms), ctx))
            else:
                missing.append(ctx.data.reports[rid].meta.short_name)
        if not pieces:
            return refuse(ctx, None)
        ans = compose(ctx.data, pieces, side_by_side=True)
        if len(ans.answer) > p.compare_max_chars and query.qtype in ("count", "percent", "amount"):
            pieces = [fact_clauses(ctx, x) for x in pieces]  # each side by the clause of its number alone
            ans = compose(ctx.data, pieces, side_by_side=True)
        ans.answer = (which_more(ctx, pieces) or "") + ans.answer
        if missing:
            ans.answer += f"（{'、'.join(missing)}中没有找到相应内容。）"
        return ans

    def _survey(self, ctx: AnswerContext) -> Answer:
        """Across the collection: each report whose best sentence answers as an open question would, and
        covers the asked terms nearly as well as the best report's (a shared word alone is not an answer)."""
        picked: list[Candidate] = []
        first: Candidate | None = None
        for rid in ctx.query.report_ids:
            cands = candidates(ctx, [h for h in ctx.hits if h.chunk.report_id == rid])
            first = first or (cands[0] if cands else None)
            best = self._pick(ctx, cands) if cands else None
            if best is not None and best.key_ok:
                picked.append(best)
        if not picked:
            return refuse(ctx, first)
        bar = self.params.survey_relative_coverage * max(c.coverage for c in picked)
        pieces = [tighten(narrow(c, ctx, ctx.terms), ctx) for c in picked if c.coverage >= bar]
        return compose(ctx.data, pieces, side_by_side=True)


def fact_clauses(ctx: AnswerContext, piece: Piece) -> Piece:
    """The piece cut to the clause holding the asked number (of several, the one beside the most asked words),
    with the clause before it when the number's own clause names nothing asked ("8宗欠薪逃匿案件移送公安机关处理",
    without "严厉打击恶意欠薪行为")."""
    text = piece.chunk.text
    spans = clauses(text, piece.start, piece.end)
    held = [k for k, (a, b) in enumerate(spans) if type_ok(ctx.query, normalize(text[a:b]), ctx.q_numbers)]
    if len(spans) < 2 or not held:
        return piece

    def named(k: int) -> float:
        seg = normalize(text[spans[k][0] : spans[k][1]])
        return sum(ctx.weights.idf(t) for t in ctx.terms if term_match(t, seg) >= ABBREVIATION)

    first = last = max(held, key=lambda k: (named(k), -k))  # the number beside the asked words
    if first > 0 and not named(first):
        first -= 1
    return trim(Piece(piece.chunk, spans[first][0], spans[last][1]))


# "哪边多", "谁的更少", "是不是一样多": which side's count is larger
_WHICH_MORE = re.compile(r"(?:哪边|哪个|哪家|哪份|哪区|谁).{0,8}?[更最]?[多少高低]|一样多|相同吗|差不多")


def which_more(ctx: AnswerContext, pieces: Sequence[Piece]) -> str | None:
    """For "哪边多" over two or more sides, each giving one count in the same unit: which side (or 一样多)."""
    if ctx.query.qtype != "count" or not _WHICH_MORE.search(ctx.query.asked) or len(pieces) < 2:
        return None
    values: dict[str, tuple[float, str]] = {}
    for piece in pieces:
        numbers = numbers_in(normalize(piece.text))
        found = [(float(n), u) for n, u, _a, _b in numbers if u and u != "%" and n not in ctx.q_numbers]
        if len(found) != 1 or piece.chunk.report_id in values:
            return None
        values[piece.chunk.report_id] = found[0]
    if len({u for _v, u in values.values()}) != 1:
        return None
    labels = side_labels(ctx.data, list(values))
    nums = {rid: v for rid, (v, _u) in values.items()}
    if len(set(nums.values())) == 1:
        return "一样多。"
    low = re.search(r"少|低", ctx.query.asked) and not re.search(r"多|高", ctx.query.asked)
    best = (min if low else max)(nums, key=lambda r: nums[r])
    return f"{labels[best]}{'更少' if low else '更多'}。"
