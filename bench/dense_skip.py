"""How often the dense query is skipped because BM25 is decisive (bot.retrieve.bm25_decisive), on the eval sets.

Asks every question of the tune, reworded and held-out sets (with its history) against the index of the
settings (.data/index) and prints how many questions skipped every dense query. Whether answers change is
`python -m eval run` with REPORTQA_DENSE_SKIP=false and true, compared (--compare).
Usage: python bench/dense_skip.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.pipeline import ReportQA  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.types import HistoryTurn  # noqa: E402


def main() -> int:
    gold = ROOT / "eval/gold"
    items = []
    for f in [gold / "gold.jsonl", gold / "reworded.jsonl", *sorted((gold / "heldout").glob("*.jsonl"))]:
        items += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    qa = ReportQA.from_settings(Settings())
    r = qa.retriever
    whole = 0
    for it in items:
        before, skipped = r.retrievals, r.dense_skipped
        qa.ask(it["question"], [HistoryTurn(**t) for t in it.get("history") or []])
        n, k = r.retrievals - before, r.dense_skipped - skipped
        whole += n > 0 and k == n
    print(
        f"{len(items)} questions: {whole} ({whole / len(items):.1%}) skipped every dense query; "
        f"{r.dense_skipped} of {r.retrievals} retrievals ({r.dense_skipped / max(r.retrievals, 1):.1%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
