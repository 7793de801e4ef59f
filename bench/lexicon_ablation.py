"""What each entry of bot.text.lexicon.SYNONYMS does on every gold set: remove it, ask again, count the passes.

    python bench/lexicon_ablation.py

Only the items whose question (or history) holds the key are asked, with and without the entry. A row reads
`key  tune n:Δ  reworded n:Δ  heldout n:Δ` (n items hold the key; Δ passes lost or won without the entry).
An entry that helps the tuning set alone was fitted to one question's wording, not to how reports are written.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot import lexicon  # noqa: E402
from bot.pipeline import ReportQA  # noqa: E402
from bot.settings import Settings  # noqa: E402
from eval.gold import ReportTexts, load_gold  # noqa: E402
from eval.records import GoldItem  # noqa: E402
from eval.runner import ask_all, score_all  # noqa: E402


def _sets(reports: Path) -> dict[str, list[GoldItem]]:
    gold = REPO / "eval" / "gold"
    out = {"tune": load_gold(gold / "gold.jsonl", reports), "reworded": load_gold(gold / "reworded.jsonl", reports)}
    out["heldout"] = [it for p in sorted((gold / "heldout").glob("*.jsonl")) for it in load_gold(p, reports)]
    return out


def main() -> None:
    logging.disable(logging.WARNING)
    reports = REPO / "data" / "reports"
    qa, texts, sets = ReportQA.from_settings(Settings()), ReportTexts(reports), _sets(reports)

    def passes(items: list[GoldItem]) -> int:
        return sum(s.passed for s in score_all(items, ask_all(qa, items), texts, qa.k))

    for key, words in list(lexicon.SYNONYMS.items()):
        row = [key]
        for items in sets.values():
            sub = [it for it in items if key in it.question + " ".join(c for r, c in it.history if r == "user")]
            if not sub:
                row.append(".")
                continue
            with_entry = passes(sub)
            del lexicon.SYNONYMS[key]
            try:
                row.append(f"{len(sub)}:{passes(sub) - with_entry:+d}")
            finally:
                lexicon.SYNONYMS[key] = words
        print(*row, sep="\t", flush=True)


if __name__ == "__main__":
    main()
