"""Whether a candidate sentence answers the question: the fitted gate of bot.decision over named features of
the sentence, or without a gate the coverage thresholds of ExtractiveParams."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.facts import TYPED, type_ok
from bot.answer.extractive.spans import Candidate, clauses
from bot.decision import AnswerGate
from bot.text.analysis import normalize

_TITLE = re.compile(r"《([^》]{2,40})》")
Acceptor = Callable[[Candidate], bool]
Trace = list[dict[str, object]]
"""What a gate saw, one row per decision: {"features", "chunk", "start", "end"} (eval.calibrate fits on it)."""


def acceptor(ctx: AnswerContext, cands: list[Candidate], gate: AnswerGate | None, trace: Trace | None) -> Acceptor:
    """The test a candidate of `cands` (sentences of ctx.hits, best first) must pass to be the answer."""
    query, p = ctx.query, ctx.params
    # a document the question names by its title (《武汉市集体合同办法》) is what the answer must be about
    titles = [normalize(t) for t in _TITLE.findall(query.typed)]

    def names_titles(c: Candidate) -> bool:
        """The sentence names each title, and for a typed question holds the asked fact outside the clauses
        that speak of other documents ("2015年完成《甲》的立法工作,《乙》已报市政府" says no year of 《乙》)."""
        if not titles:
            return True
        text = normalize(c.text)
        if not all(t in text for t in titles):
            return False
        if query.qtype not in TYPED:
            return True
        own = [
            text[a:b]
            for a, b in clauses(text, 0, len(text))
            if "《" not in text[a:b] or any(t in text[a:b] for t in titles)
        ]
        return type_ok(query, "，".join(own), ctx.q_numbers)

    if not ctx.terms and not ctx.ctx_terms:
        return names_titles
    if gate is None:
        threshold = p.min_coverage if query.qtype in TYPED else p.min_coverage_fact
        return lambda c: names_titles(c) and c.coverage >= threshold and (query.qtype not in TYPED or c.type_ok)

    def accept(c: Candidate) -> bool:
        x = gate_features(ctx, cands, c)
        if trace is not None:
            trace.append({"features": x, "chunk": c.chunk, "start": c.start, "end": c.end})
        return names_titles(c) and gate.accept(x)

    return accept


def gate_features(ctx: AnswerContext, cands: list[Candidate], c: Candidate) -> list[float]:
    """The features of bot.decision.FEATURES, in that order, each in [0, 1]."""
    query, hits = ctx.query, ctx.hits
    n_terms = max(1, len(ctx.terms) + len(ctx.ctx_terms))
    ranks = hits[c.hit_rank].ranks if c.hit_rank < len(hits) else {}
    i = cands.index(c)
    nxt = cands[i + 1].score if i + 1 < len(cands) else 0.0
    return [
        min(1.0, c.coverage),
        float(c.type_ok or query.qtype not in TYPED),
        float(query.qtype in TYPED),
        len(c.matched) / n_terms,
        float(c.key_ok),
        1 / (1 + c.hit_rank),
        1 / (1 + ranks["dense"]) if "dense" in ranks else 0.0,
        1 / (1 + ranks["bm25"]) if "bm25" in ranks else 0.0,
        max(0.0, min(1.0, c.score - nxt)),
        float(bool(query.report_ids)),
    ]
