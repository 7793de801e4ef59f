"""Retrieval for a comparison: one retrieval per report, interleaved, so that each side has its evidence."""

from __future__ import annotations

from collections.abc import Sequence

from bot.retrieve.hybrid import HybridRetriever
from bot.types import Hit


def per_report(retriever: HybridRetriever, text: str, report_ids: Sequence[str], k: int, *, dense: bool) -> list[Hit]:
    """The hits of each report in turn (its best, then every report's second, …), so that the first `k`
    contexts hold every side of the comparison; each report gets max(4, k // reports + 2) hits."""
    per = max(4, k // len(report_ids) + 2)
    each = [retriever.retrieve(text, [rid], k=per, dense=dense) for rid in report_ids]
    hits: list[Hit] = []
    for i in range(per):
        hits.extend(r[i] for r in each if i < len(r))
    return hits
