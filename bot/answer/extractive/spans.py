"""Spans of a chunk: sentences scored as candidates, their clauses, and narrowing a sentence to an answer.

A sentence is cut into clauses at commas, semicolons and colons outside brackets and quotes; the answer is
the shortest run of clauses that keeps the asked terms and the asked fact (`narrow`), less the edge clauses
that hold neither (`tighten`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.facts import TYPED, numbers_in, title_verb, type_ok
from bot.answer.extractive.terms import ABBREVIATION, negated_terms, term_match
from bot.query import Query
from bot.text.analysis import normalize, sentence_spans
from bot.text.injection import is_flagged
from bot.types import Chunk

_CLAUSE_BREAK = set("，,；;：:")
_OPEN = "《“‘（(「『【"
_CLOSE = "》”’）)」』】"
_NUMBERING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+[章节部篇]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]"
    r"|\d+[.、．]|[①②③④⑤⑥⑦⑧⑨⑩])\s*"
)
# a result ("杜绝了…", "实现了…") is explained by the means said before it
_RESULT_VERB = re.compile(r"(?:真正|有效|切实|全面)?(?:杜绝|实现|确保|避免|防止|使|促进|提高|提升|达到|保障)")
_Span = tuple[int, int]
_DASHED = re.compile(r"(?<=[\u4e00-\u9fa5])[—－-]{1,2}(?=[\u4e00-\u9fa5])")
# the words that ask for a number
_ASKING = re.compile(r"多少|几|比例|比重|占比|百分之|[率额数]")


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, scored against the question."""

    hit_rank: int
    chunk: Chunk
    start: int  # in chunk.text
    end: int
    coverage: float = 0.0
    type_ok: bool = False
    score: float = 0.0
    matched: list[str] = field(default_factory=list)
    key_ok: bool = False  # the rarest asked noun is in the sentence or its heading

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]


@dataclass
class Piece:
    """A span of a chunk chosen for the answer."""

    chunk: Chunk
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]


def strip_numbering(heading: str) -> str:
    """A heading without its numbering ("（二）", "3.") and trailing stop."""
    return _NUMBERING.sub("", heading).rstrip("。：:")


def is_heading_echo(sent: str, heading: str) -> bool:
    """True when a sentence is just the section heading (the lead phrase of a numbered paragraph)."""
    a = re.sub(r"[\W_]+", "", strip_numbering(normalize(sent)))
    b = re.sub(r"[\W_]+", "", strip_numbering(normalize(heading)))
    return bool(a) and a == b


def clauses(text: str, start: int, end: int, breaks: set[str] = _CLAUSE_BREAK) -> list[_Span]:
    """Clause spans of text[start:end], cut at commas/semicolons/colons outside brackets and quotes."""
    out: list[_Span] = []
    depth = 0
    a = start
    for i in range(start, end):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif ch in breaks and depth == 0:
            if i > a:
                out.append((a, i))
            a = i + 1
    if end > a:
        out.append((a, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


# a sentence's link to the one before it ("同时，…"), which says nothing once the sentence stands alone
_CONNECTIVE = re.compile(r"(?:同时|此外|另外|与此同时|另一方面|其次|首先|最后|然后|而且|并且)\s*[，,]\s*")


def trim(p: Piece) -> Piece:
    """The piece without leading/trailing spaces and punctuation, nor a leading connective ("同时，")."""
    t = p.chunk.text
    a, b = p.start, p.end
    while a < b and (t[a].isspace() or t[a] in "，,；;：:、"):
        a += 1
    m = _CONNECTIVE.match(t, a, b)
    if m and m.end() < b:
        a = m.end()
    while b > a and (t[b - 1].isspace() or t[b - 1] in "，,；;：:、。"):
        b -= 1
    return Piece(p.chunk, a, b)


def next_sentence(cand: Candidate, max_chars: int) -> Piece | None:
    """The sentence after a candidate in the same chunk (the reason that follows a short statement)."""
    for s, e in sentence_spans(cand.chunk.text):
        if s >= cand.end:
            fits = e - s <= max_chars and not is_flagged(cand.chunk.text, s, e)
            return Piece(cand.chunk, s, e) if fits else None
    return None


def narrow(cand: Candidate, ctx: AnswerContext, terms: Sequence[str], ctx_terms: Sequence[str] = ()) -> Piece:
    """The shortest run of clauses of the sentence that keeps the asked terms and the asked fact."""
    query = ctx.query
    text = cand.chunk.text
    breaks = _CLAUSE_BREAK | ({"、"} if query.qtype in ("count", "percent", "amount") else set())
    spans = clauses(text, cand.start, cand.end, breaks)
    if len(spans) <= 1 or cand.end - cand.start <= ctx.params.narrow_min_chars:
        return trim(Piece(cand.chunk, cand.start, cand.end))
    a, b = _Windows(ctx, terms, ctx_terms).best(text, spans, ctx.params.side_max_chars if query.compare else None)
    if query.qtype in ("how", "fact", "yesno") and not query.compare:
        a, b = _widen(text, spans, a, b, ctx)
    # keep a clause that opens with 其中/其/另 together with the one it refers to
    idx = next(k for k, c in enumerate(spans) if c[0] == a)
    if idx > 0 and re.match(r"^(其中|其|另|分别|均|共|累计|占)", text[a:b]):
        a = spans[idx - 1][0]
    return trim(Piece(cand.chunk, a, b))


class _Windows:
    """Scores the runs of clauses of one sentence (windows) against the asked terms and the asked fact."""

    def __init__(self, ctx: AnswerContext, terms: Sequence[str], ctx_terms: Sequence[str]):
        self.ctx = ctx
        self.negated = negated_terms(ctx.query.asked)
        self.title_verb = title_verb(ctx.query) if ctx.query.qtype == "name" else None
        wts = {t: ctx.weights.idf(t) for t in terms if t not in self.negated}
        for t in ctx_terms:
            if t not in wts:
                wts[t] = ctx.params.context_term_weight * ctx.weights.idf(t)
        self.wts = wts
        self.total = sum(wts.values()) or 1.0

    def best(self, text: str, spans: list[_Span], max_chars: int | None = None) -> _Span:
        """The window with the most coverage for the fewest characters: a clause must earn its length.

        With `max_chars`, only windows that short compete, when there are any (one side of a comparison)."""
        p = self.ctx.params
        windows: list[tuple[float, bool, int, int]] = []
        for i in range(len(spans)):
            for j in range(i, min(i + p.window_max_clauses, len(spans))):
                a, b = spans[i][0], spans[j][1]
                cov, ok = self.score(normalize(text[a:b]))
                windows.append((cov, ok, a, b))
        pool = [w for w in windows if w[1]] or windows
        if max_chars:
            pool = [w for w in pool if w[3] - w[2] <= max_chars] or pool
        # the single clauses that hold the asked kind of fact, already scored as one-clause windows
        held = [(a, b) for _cov, ok, a, b in windows if ok and (a, b) in spans]
        anchor = self._fact_clause(text, held)
        if anchor is not None:  # the asked number is the one in the clause that matches the question best
            pool = [w for w in pool if w[2] <= anchor[0] and anchor[1] <= w[3]] or pool
        lam = p.length_cost_typed if self.ctx.query.qtype in TYPED else p.length_cost
        _, _, a, b = max(pool, key=lambda w: (w[0] - lam * (w[3] - w[2]), -w[2]))
        return a, b

    def _fact_clause(self, text: str, held: list[_Span]) -> _Span | None:
        """For a count/percent/amount, of the clauses `held` that hold such a number, the one that covers the
        question best.

        Ties go to the shorter clause, where the matched words sit closest to the number. None when no
        single clause holds the asked kind of number.
        """
        query = self.ctx.query
        if query.qtype not in ("count", "percent", "amount") or query.asks > 1 or not held:
            return None
        # the words of the question's clause that asks ("…，全流程网上能办的比例是多少"), not of its setting
        asking = next((c for c in reversed(re.split(r"[，,；;：:]", query.asked)) if _ASKING.search(c)), query.asked)
        wts = {t: w for t, w in self.wts.items() if t in asking} or self.wts

        def cov(a: int, b: int) -> float:
            seg = normalize(text[a:b])
            return round(sum(w * term_match(t, seg) for t, w in wts.items()), 6)

        return max(held, key=lambda w: (cov(*w), -(w[1] - w[0])))

    def score(self, seg: str) -> tuple[float, bool]:
        """(coverage, holds the asked fact) of one normalized window."""
        query, p, q_numbers = self.ctx.query, self.ctx.params, self.ctx.q_numbers
        # words inside a cited title (《…》) are weaker evidence than the sentence's own words
        scope = re.sub(r"《[^》]*》", "《》", seg)
        cov = (
            sum(w * max(term_match(t, scope), p.cited_title_factor * term_match(t, seg)) for t, w in self.wts.items())
            / self.total
            if self.wts
            else 0.0
        )
        if self.negated and any(n in seg for n in self.negated):
            cov -= p.negated_penalty
        ok = type_ok(query, seg, q_numbers)
        if ok and query.asks > 1:
            ok = len({n for n, u, _a, _b in numbers_in(seg) if u and n not in q_numbers}) >= query.asks
        if query.qtype == "list":
            # a list answer is the enumerated run: items apart by 、, or by dashes inside a quoted chain (“甲—乙—丙”)
            seps = seg.count("、") + len(_DASHED.findall(seg))
            cov += min(p.list_bonus_max, p.list_item_bonus * seps)
        if self.title_verb and re.search(self.title_verb, seg):
            cov += p.title_verb_window_bonus
        return cov, ok


def _widen(text: str, spans: list[_Span], a: int, b: int, ctx: AnswerContext) -> _Span:
    """The answer to "how/why" sits around the matched words: widen it to a readable clause run."""
    query, p = ctx.query, ctx.params
    i = next(k for k, c in enumerate(spans) if c[0] == a)
    j = next(k for k, c in enumerate(spans) if c[1] == b)
    last = len(spans) - 1
    # a result ("杜绝了…", "实现了…") is explained by what comes before it; a name by what follows
    left_first = query.qtype == "how" and bool(_RESULT_VERB.match(text[a:b]))
    want = p.widen_how_chars if query.qtype == "how" else p.widen_chars
    while (i > 0 or j < last) and spans[j][1] - spans[i][0] < want:
        if i > 0 and (j == last or left_first or spans[i][1] - spans[i - 1][0] <= spans[j + 1][1] - spans[j][0]):
            i -= 1
        elif j < last:
            j += 1
    if left_first and i > 0 and spans[j][1] - spans[i - 1][0] <= p.widen_max_chars:
        i -= 1
    if spans[j][1] - spans[i][0] <= p.widen_max_chars:
        a, b = spans[i][0], spans[j][1]
    return a, b


def with_short_tail(piece: Piece, cand: Candidate, max_chars: int) -> Piece:
    """The piece with the sentence's last clause when that clause is short and follows it ("…均获得96分,
    居全省第一"): a few characters that finish the statement are worth more than the length they cost."""
    text = piece.chunk.text
    rest = clauses(text, piece.end, cand.end)
    if len(rest) == 1 and len(text[rest[0][0] : rest[0][1]].strip("。；;！!？? ")) <= max_chars:
        return trim(Piece(piece.chunk, piece.start, cand.end))
    return piece


_SHARE = re.compile(r"[^\d，,；;]{0,10}\d+(?:\.\d+)?\s*%")


def with_share(piece: Piece, cand: Candidate, max_chars: int) -> Piece:
    """The piece with the clause after it when that clause is a short percentage ("…8项实现即时办结,占比53.33%",
    "…7宗，同比下降50%"): it qualifies the number just given, which reads wrong without it."""
    text = piece.chunk.text
    rest = clauses(text, piece.end, cand.end)
    if rest and rest[0][1] - rest[0][0] <= max_chars and _SHARE.match(normalize(text[rest[0][0] : rest[0][1]])):
        return trim(Piece(piece.chunk, piece.start, rest[0][1]))
    return piece


def with_number_run(piece: Piece, cand: Candidate, max_chars: int) -> Piece:
    """The piece with the clauses after it that each give another number ("193位参加考试,有186位通过,通过率96%"),
    as long as the whole stays within `max_chars`: the figures of one statement are read together."""
    text = piece.chunk.text
    end = piece.end
    for a, b in clauses(text, piece.end, cand.end):
        if b - piece.start > max_chars or not any(u for _n, u, _a, _b in numbers_in(normalize(text[a:b]))):
            break
        end = b
    return trim(Piece(piece.chunk, piece.start, end)) if end > piece.end else piece


def tighten(piece: Piece, ctx: AnswerContext) -> Piece:
    """Drop edge clauses that hold neither an asked term (outside a cited title) nor the asked fact."""
    query, p, terms = ctx.query, ctx.params, ctx.terms
    if len(piece.text) <= p.tighten_min_chars or not terms:
        return piece
    if query.qtype not in TYPED and query.qtype != "list" and len(piece.text) <= p.explanation_keep_chars:
        return piece  # an explanation keeps its context
    text = piece.chunk.text
    spans = clauses(text, piece.start, piece.end)
    if len(spans) < 2:
        return piece
    strong = list(terms)
    if len(terms) > 2:
        ranked = sorted(terms, key=ctx.weights.idf)
        strong = ranked[len(ranked) // p.weak_terms_share :]  # the commonest asked words cannot hold a clause alone
    keep = [i for i, (a, b) in enumerate(spans) if _essential(normalize(text[a:b]), strong, query, ctx.q_numbers)]
    if not keep:
        return piece
    while query.qtype == "how" and keep[0] > 0 and _RESULT_VERB.match(text[spans[keep[0]][0] : spans[keep[0]][1]]):
        keep.insert(0, keep[0] - 1)  # the means said just before a result belong to the answer
    return trim(Piece(piece.chunk, spans[keep[0]][0], spans[keep[-1]][1]))


def _essential(seg: str, strong: Sequence[str], query: Query, q_numbers: set[str]) -> bool:
    """A clause holds an asked term outside a cited title, or (for a typed question) the asked fact."""
    scope = re.sub(r"《[^》]*》", "《》", seg)
    if any(term_match(t, scope) >= ABBREVIATION for t in strong):
        return True
    return query.qtype in TYPED and type_ok(query, seg, q_numbers)
