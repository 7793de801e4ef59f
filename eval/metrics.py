"""The eval's metrics: pure functions over gold items and the bot's answers.

Every metric is reported overall and per question type. Unless stated otherwise a metric is a fraction in
[0, 1], averaged over the items it applies to, and is ``None`` (shown as "—") when no item applies.
"Answerable items" are those whose *gold* label is ``answerable: true``; "unanswerable items" the others.

Normalisation
    ``normalize(s)`` = Unicode NFKC (full-width digits, letters and punctuation become half-width), then
    lower case, then every whitespace character removed. "２８ 件" and "28件" normalise alike.

Spans and overlap
    A span is ``(file, [start, end))`` in the report file's decoded text (UTF-8, BOM removed). The gold span
    of an evidence is ``[text.find(quote), text.find(quote) + len(quote))``. Two spans overlap when they are
    in the same file and share at least one character: ``max(start1, start2) < min(end1, end2)``. Touching
    spans (one ends where the other starts) and empty spans overlap nothing.

key_fact_accuracy (answerable items)
    The fraction of items whose answer contains every ``must_include`` string, both sides normalised.

conciseness (answerable items)
    The fraction of items with ``len(answer) <= 2 * max(len(reference answer), 40)`` characters. The floor of
    40 characters keeps a very short reference ("4家") from demanding a bare-number answer: a sentence
    naming the report and the figure is always allowed.

citation_accuracy (answerable items)
    The fraction of items with at least one citation overlapping a gold evidence span.

citation_precision (answerable items with at least one citation)
    Per item, the fraction of its citations that overlap some gold evidence span; averaged over the items.
    Items without citations are left out here (they already fail citation_accuracy).

refusal_accuracy (unanswerable items)
    The fraction of items the bot refused (``answerable == false``).

false_refusal_rate (answerable items; lower is better)
    The fraction of items the bot refused.

recall_at_k and mrr (answerable items)
    Over the first k retrieved contexts, in the order the bot returned them (k = the run's ``retrieval_k``):
    the rank r of the first context overlapping a gold evidence span. recall_at_k is the fraction of items
    with such a context; mrr the mean of 1/r, counting 0 for items without one.

token_f1 (answerable items)
    F1 of the answer's tokens against the reference answer's tokens, as multisets. Tokens are
    ``jieba.lcut`` of the NFKC-normalised, lower-cased text, without tokens made only of whitespace and
    punctuation (so "，" and "%" are dropped). precision = common / answer tokens, recall = common /
    reference tokens, F1 = 2PR / (P + R); 0 when nothing is in common, 1 when both are empty.

latency_p50_ms and latency_p95_ms (all items)
    Nearest-rank percentiles of the wall-clock time of each ``ReportQA.ask`` call, in milliseconds: the
    smallest latency that at least p% of the items do not exceed. The run makes one untimed warm-up call
    first, so loading the index and models is not counted.

pass_rate (all items)
    The fraction of items with a passing verdict. An answerable item passes when it is not refused, all its
    key facts are present, a citation overlaps the gold evidence, and the answer is concise. An unanswerable
    item passes when it is refused. The verdict's reason lists every check that failed.

Errors
    A question on which the bot raised an error counts as refused with an empty answer and no citations or
    contexts, and always fails: it counts against every metric, including refusal_accuracy.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eval.records import ITEM_TYPES, BotRecord, GoldItem, ItemScore, Span

CONCISE_FLOOR = 40
"""Reference answers shorter than this many characters are treated as this long by `max_answer_chars`."""

METRICS: tuple[str, ...] = (
    "pass_rate",
    "key_fact_accuracy",
    "conciseness",
    "citation_accuracy",
    "citation_precision",
    "refusal_accuracy",
    "false_refusal_rate",
    "recall_at_k",
    "mrr",
    "token_f1",
    "latency_p50_ms",
    "latency_p95_ms",
)
"""Every aggregate metric name, in display order (the keys of `aggregate`'s result besides the counts)."""

LOWER_IS_BETTER = frozenset({"false_refusal_rate", "latency_p50_ms", "latency_p95_ms"})

_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, lower case, all whitespace removed: the form key facts are matched in."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text).lower())


def missing_facts(answer: str, must_include: Sequence[str]) -> list[str]:
    """The `must_include` strings not found in `answer`, both normalised; [] when all are present."""
    norm = normalize(answer)
    return [m for m in must_include if normalize(m) not in norm]


def max_answer_chars(reference: str) -> int:
    """The longest concise answer: twice the reference's length, with a floor of `CONCISE_FLOOR`."""
    return 2 * max(len(reference), CONCISE_FLOOR)


def is_concise(answer: str, reference: str) -> bool:
    """``len(answer) <= 2 * max(len(reference), 40)``."""
    return len(answer) <= max_answer_chars(reference)


def overlaps(a: Span, b: Span) -> bool:
    """Same file and at least one shared character of the half-open ranges."""
    return a.source == b.source and max(a.start, b.start) < min(a.end, b.end)


def hits(spans: Sequence[Span], gold: Sequence[Span]) -> list[bool]:
    """For each span, whether it overlaps any gold span."""
    return [any(overlaps(s, g) for g in gold) for s in spans]


def first_relevant_rank(contexts: Sequence[Span], gold: Sequence[Span], k: int) -> int | None:
    """1-based rank of the first of the first `k` contexts overlapping a gold span; None if there is none."""
    for rank, ctx in enumerate(contexts[:k], 1):
        if any(overlaps(ctx, g) for g in gold):
            return rank
    return None


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _is_noise(token: str) -> bool:
    return all(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in token)


def tokens(text: str) -> list[str]:
    """jieba tokens of NFKC-normalised, lower-cased text, without whitespace and punctuation tokens."""
    norm = unicodedata.normalize("NFKC", text).lower()
    return [t for t in _jieba().lcut(norm) if not _is_noise(t)]


def token_f1(answer: str, reference: str) -> float:
    """Multiset F1 of `tokens(answer)` against `tokens(reference)`."""
    got, want = Counter(tokens(answer)), Counter(tokens(reference))
    if not got and not want:
        return 1.0
    common = sum((got & want).values())
    if common == 0:
        return 0.0
    precision = common / sum(got.values())
    recall = common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value that at least `p`% of `values` do not exceed."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"p must be in (0, 100], got {p}")
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def latency_ms(values: Sequence[float], digits: int = 1) -> dict[str, float]:
    """{"p50_ms", "p95_ms"} of latencies in milliseconds (nearest rank; 0 when there are none)."""
    return {f"p{p}_ms": round(percentile(values, p) or 0.0, digits) for p in (50, 95)}


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    vals = list(values)
    return sum(vals) / len(vals) if vals else None


def score_item(item: GoldItem, record: BotRecord, gold: Sequence[Span], k: int) -> ItemScore:
    """Measure one answer against its gold item (`gold` = the item's evidence spans) and give a verdict."""
    refused = not record.answerable or record.error is not None
    score = ItemScore(
        id=item.id,
        type=item.type,
        answerable=item.answerable,
        refused=refused,
        passed=False,
        reason="",
        latency_ms=record.latency_ms,
        error=record.error,
    )
    failures: list[str] = []
    if record.error is not None:
        failures.append(f"error: {record.error}")
    if not item.answerable:
        if not refused:
            failures.append("answered an unanswerable question")
        score.passed, score.reason = not failures, "; ".join(failures)
        return score

    cites = record.citation_spans()
    score.missing_facts = missing_facts(record.answer, item.must_include)
    score.answer_chars = len(record.answer)
    score.max_chars = max_answer_chars(item.answer)
    score.concise = score.answer_chars <= score.max_chars
    score.citation_hits = hits(cites, gold)
    score.cited = any(score.citation_hits)
    score.citation_precision = mean(map(float, score.citation_hits))
    score.context_rank = first_relevant_rank(record.context_spans(), gold, k)
    score.token_f1 = token_f1(record.answer, item.answer)

    if refused and record.error is None:
        failures.append("refused")
    if score.missing_facts:
        failures.append("missing key facts: " + ", ".join(score.missing_facts))
    if not score.cited:
        failures.append("no citation overlaps the gold evidence" if cites else "no citations")
    if not score.concise:
        failures.append(f"too long: {score.answer_chars} > {score.max_chars} chars")
    score.passed, score.reason = not failures, "; ".join(failures)
    return score


def _fraction(scores: Sequence[ItemScore], pred: Callable[[ItemScore], bool]) -> float | None:
    return mean(1.0 if pred(s) else 0.0 for s in scores)


def aggregate(scores: Sequence[ItemScore]) -> dict[str, Any]:
    """Every metric of `METRICS` over `scores`, plus the counts n, n_answerable and n_unanswerable."""
    ans = [s for s in scores if s.answerable]
    unans = [s for s in scores if not s.answerable]
    with_cites = [s for s in ans if s.citation_hits]
    latencies = [s.latency_ms for s in scores]
    return {
        "n": len(scores),
        "n_answerable": len(ans),
        "n_unanswerable": len(unans),
        "pass_rate": _fraction(scores, lambda s: s.passed),
        "key_fact_accuracy": _fraction(ans, lambda s: not s.missing_facts),
        "conciseness": _fraction(ans, lambda s: bool(s.concise)),
        "citation_accuracy": _fraction(ans, lambda s: bool(s.cited)),
        "citation_precision": mean(s.citation_precision or 0.0 for s in with_cites),
        "refusal_accuracy": _fraction(unans, lambda s: s.refused and s.error is None),
        "false_refusal_rate": _fraction(ans, lambda s: s.refused),
        "recall_at_k": _fraction(ans, lambda s: s.context_rank is not None),
        "mrr": mean(1.0 / s.context_rank if s.context_rank else 0.0 for s in ans),
        "token_f1": mean(s.token_f1 or 0.0 for s in ans),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def aggregate_by_type(scores: Sequence[ItemScore]) -> dict[str, dict[str, Any]]:
    """`aggregate` of each question type present, in `ITEM_TYPES` order."""
    return {t: aggregate([s for s in scores if s.type == t]) for t in ITEM_TYPES if any(s.type == t for s in scores)}
