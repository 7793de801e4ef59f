"""Benchmarks (plain Python, run with `make bench` or `python bench/run.py [ingest|answer]`).

- ingest: cold ingest of data/reports (fresh index and embedding cache), warm re-ingest (nothing changed),
  and a rebuild with a warm cache; wall time and peak RSS of each, in a subprocess.
- answer: warm answer latency p50/p95 over the gold questions, repeated.
Figures go to BENCHMARKS.md by hand, with the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak_mb, out.stdout.strip().splitlines()[-1]


def bench_ingest() -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="reportqa-bench-"))
    env = {**os.environ, "REPORTQA_INDEX_DIR": str(tmp / "index"), "REPORTQA_CACHE_DIR": str(tmp / "cache")}
    cmd = [sys.executable, "-m", "ingest", "-q"]
    try:
        cold = _timed(cmd, env)
        warm = _timed(cmd, env)
        rebuild = _timed([*cmd, "--rebuild"], env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res = {
        "cold_s": round(cold[0], 2),
        "warm_unchanged_s": round(warm[0], 2),
        "rebuild_warm_cache_s": round(rebuild[0], 2),
        "peak_rss_mb": round(max(cold[1], warm[1], rebuild[1])),
        "summary": cold[2],
    }
    return res


def bench_answer(repeat: int) -> dict[str, object]:
    from bot.pipeline import ReportQA
    from bot.settings import Settings
    from bot.types import HistoryTurn

    qa = ReportQA.from_settings(Settings())
    items = [json.loads(x) for x in (ROOT / "eval/gold/gold.jsonl").read_text(encoding="utf-8").splitlines() if x]
    qa.ask(items[0]["question"])  # warm-up: index, models, jieba
    lat: list[float] = []
    for _ in range(repeat):
        for it in items:
            hist = [HistoryTurn(**t) for t in it.get("history") or []]
            t0 = time.perf_counter()
            qa.ask(it["question"], hist)
            lat.append((time.perf_counter() - t0) * 1000)
    from eval.metrics import latency_ms

    return {"questions": len(lat), **latency_ms(lat), "max_ms": round(max(lat), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="*", help="ingest and/or answer (default: both)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("machine:", machine())
    what = args.what or ["ingest", "answer"]
    if "ingest" in what:
        print("ingest:", json.dumps(bench_ingest(), ensure_ascii=False))
    if "answer" in what:
        print("answer (warm, extractive):", json.dumps(bench_answer(args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
