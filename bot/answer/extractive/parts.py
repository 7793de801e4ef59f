"""Questions that ask several numbers at once: each asked part gets the clause that answers it.

"一共公开了多少条信息？其中政策解读有几条？", "收到几件申请，答复了几件？": the best sentence often answers one part
and its neighbours the other. Each part is matched to one clause holding a number of the asked kind and most of
that part's words (weighed by rarity: 信息 says less than 政策解读), the parts in the order the question asks
them where two matchings fit as well; clauses outside the chosen piece are added to the answer.
"""

from __future__ import annotations

import itertools
import re

from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.facts import numbers_in, unit_ok
from bot.answer.extractive.spans import Candidate, Piece, clauses, trim
from bot.answer.extractive.terms import ABBREVIATION, term_match
from bot.text.analysis import normalize, sentence_spans

# where one asked part ends and the next begins: "…多少条？其中…几条", "收到几件，答复了几件"
_PART_BREAK = re.compile(r"[？?，,；;、]|其中")
_ASKING = re.compile(r"多少|几|有没有|是否")
# things joined before 各/分别 and the number asked of each: "公共企事业单位信息和重点领域信息各多少条"
_EACH = re.compile(r"(.+?(?:和|与|及|以及).+?)(?:各|分别)(?:是|有|为)?(?:多少|几)")
MIN_FIT = 0.4
"""The least weighted share of a part's words a clause must hold to answer it."""
MAX_PARTS = 3
NEAR_CHARS = 150
"""How far before and after the best sentence the clauses of the other parts are looked for."""


def asked_parts(ctx: AnswerContext) -> list[list[str]]:
    """The asked words of each part of the question that asks for a number, in the question's order; "X和Y各
    多少条" asks of X and of Y."""
    parts = [p for p in _PART_BREAK.split(normalize(ctx.query.asked)) if _ASKING.search(p)]
    if len(parts) == 1:
        each = _EACH.search(parts[0])
        if each:
            parts = [x for x in re.split(r"和|与|及|以及", each.group(1)) if x]
    out = [[t for t in ctx.terms if t in p] for p in parts]
    return [terms for terms in out if terms][:MAX_PARTS]


def other_parts(ctx: AnswerContext, best: Candidate, piece: Piece, max_chars: int) -> list[Piece]:
    """The answer's pieces when clauses outside `piece` answer asked parts the piece does not (within
    `max_chars` in all): the piece, unless it answers no part, and those clauses, from the sentences near the
    best one; [] when the piece alone answers as well."""
    query = ctx.query
    if query.qtype not in ("count", "amount", "percent"):
        return []
    parts = asked_parts(ctx)
    if len(parts) < 2:
        return []
    text = piece.chunk.text
    sentences = list(sentence_spans(text))
    before = [s for s in sentences if s[1] <= best.start and best.start - s[1] <= NEAR_CHARS]
    after = [s for s in sentences if s[0] >= best.end and s[0] - best.end <= NEAR_CHARS]
    around = [*before, (best.start, best.end), *after]
    spans = [(a, b) for s, e in around for a, b in clauses(text, s, e) if _answers_kind(ctx, normalize(text[a:b]))]
    if not spans:
        return []
    inside = {k for k, (a, b) in enumerate(spans) if a < piece.end and b > piece.start}
    weight = {t: ctx.weights.idf(t) or 1e-6 for terms in parts for t in terms}

    def fit(terms: list[str], k: int) -> float:
        seg = normalize(text[spans[k][0] : spans[k][1]])
        held = sum(weight[t] for t in terms if term_match(t, seg) >= ABBREVIATION)
        return held / sum(weight[t] for t in terms)

    fits = [[fit(terms, k) for k in range(len(spans))] for terms in parts]
    best_match: tuple[float, ...] | None = None
    chosen: tuple[int | None, ...] = ()
    options = [None, *range(len(spans))]
    for match in itertools.product(options, repeat=len(parts)):
        picked = [k for k in match if k is not None]
        if len(set(picked)) < len(picked) or any(k is not None and fits[i][k] < MIN_FIT for i, k in enumerate(match)):
            continue
        total = sum(fits[i][k] for i, k in enumerate(match) if k is not None)
        in_order = sum(1 for x, y in itertools.pairwise(picked) if x < y)
        added = sum(1 for k in picked if k not in inside)
        key = (round(total, 6), in_order, -added)
        if best_match is None or key > best_match:
            best_match, chosen = key, match
    extra = sorted({k for k in chosen if k is not None and k not in inside})
    if not extra:
        return []
    # the piece stays when it answers a part; when the other clauses answer every part, they are the answer
    keep = any(k in inside for k in chosen if k is not None) or None in chosen
    out: list[Piece] = [piece] if keep else []
    total_chars = len(piece.text) if keep else 0
    for k in extra:
        a, b = spans[k]
        if total_chars + (b - a) <= max_chars:
            out.append(trim(Piece(piece.chunk, a, b)))
            total_chars += b - a
    return sorted(out, key=lambda x: x.start) if len(out) > keep else []


def _answers_kind(ctx: AnswerContext, seg: str) -> bool:
    """The clause holds a number of the kind asked: the asked unit, a percentage, an amount of money."""
    query = ctx.query
    for n, unit, _a, _b in numbers_in(seg):
        if not unit or n in ctx.q_numbers:
            continue
        bare = unit.removeprefix("余").removeprefix("多")
        if query.qtype == "percent":
            if bare == "%":
                return True
        elif query.qtype == "amount":
            if bare in ("万元", "亿元", "元", "万"):
                return True
        elif unit_ok(unit, query.unit) if query.unit else bare != "%":
            return True
    return False
