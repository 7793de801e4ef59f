"""How often the dense query is skipped because BM25 is decisive (bot.retrieve.bm25_decisive), on the eval sets,
and (with --sweep) how many answers other thresholds would change.

Asks every question of the tune, reworded and held-out sets (with its history) against the index of the
settings (.data/index): first with the dense query always made, then with the rule, and prints per pair of
thresholds how many questions skipped every dense query and how many answers or citations differ from the
first pass. `python -m eval run --compare` gives the same verdict through the eval.
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

import bot.retrieve as retrieve  # noqa: E402
from bot.pipeline import ReportQA  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.types import HistoryTurn  # noqa: E402

SWEEP = [(1.4, 2.5), (1.25, 2.0), (1.15, 1.6), (1.05, 1.3)]


def eval_items() -> list[dict[str, Any]]:
    gold = ROOT / "eval/gold"
    items = []
    for f in [gold / "gold.jsonl", gold / "reworded.jsonl", *sorted((gold / "heldout").glob("*.jsonl"))]:
        items += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items


def answers(qa: ReportQA, items: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], int]:
    """(answer text and cited spans) per item, and how many items skipped every dense query."""
    r = qa.retriever
    if r.query_vectors is not None:
        r.query_vectors.clear()
    out, whole = [], 0
    for it in items:
        before, skipped = r.retrievals, r.dense_skipped
        ans = qa.ask(it["question"], [HistoryTurn(**t) for t in it.get("history") or []])
        n, k = r.retrievals - before, r.dense_skipped - skipped
        whole += n > 0 and k == n
        out.append((ans.answer, tuple((c.source, c.start, c.end) for c in ans.citations)))
    return out, whole


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", action="store_true", help=f"also try the thresholds {SWEEP[1:]}")
    args = ap.parse_args()
    items = eval_items()
    qa = ReportQA.from_settings(Settings())
    qa.retriever.dense_skip = False
    always, _ = answers(qa, items)
    qa.retriever.dense_skip = True
    for over_reports, over_next in SWEEP if args.sweep else SWEEP[:1]:
        retrieve.DECISIVE_OVER_REPORTS, retrieve.DECISIVE_OVER_NEXT = over_reports, over_next
        got, whole = answers(qa, items)
        changed = sum(a != b for a, b in zip(always, got, strict=True))
        print(
            f"{over_reports}x another report or {over_next}x the next chunk: {whole} of {len(items)} questions "
            f"({whole / len(items):.1%}) skipped every dense query; {changed} answers changed"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
