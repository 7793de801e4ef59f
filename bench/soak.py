"""A bounded soak on 127.0.0.1: concurrency 32 for a fixed time, mixing chat, streaming chat, feedback and
report reads. Checks: zero 5xx, the server's memory stays flat, every feedback record is in SQLite.

Usage: python bench/soak.py [--seconds 300] [--concurrency 32] [--workers 1]
Uses the index built by `make run` (.data/index) and a fresh feedback database in a temp folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from http_load import bench_questions, serving  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in out]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def soak(base: str, seconds: float, concurrency: int, questions: list[str]) -> dict[str, object]:
    stop = time.monotonic() + seconds
    counts: dict[str, int] = {}
    statuses: dict[int, int] = {}
    feedback_ok = 0
    rng = random.Random(7)

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal feedback_ok
        while time.monotonic() < stop:
            kind = rng.choices(["chat", "stream", "feedback", "reports"], weights=[5, 2, 2, 1])[0]
            q = rng.choice(questions)
            if kind == "chat":
                r = await client.post(f"{base}/api/chat", json={"question": q})
            elif kind == "stream":
                r = await client.post(f"{base}/api/chat", json={"question": q, "stream": True})
            elif kind == "feedback":
                r = await client.post(
                    f"{base}/api/feedback",
                    json={"rating": rng.choice(["up", "down"]), "question": q, "answer": "soak", "citations": []},
                )
                if r.status_code == 201:
                    feedback_ok += 1
            else:
                r = await client.get(f"{base}/api/reports")
            counts[kind] = counts.get(kind, 0) + 1
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(*(one(client) for _ in range(concurrency)))
    return {"requests": sum(counts.values()), "by_kind": counts, "statuses": statuses, "feedback_201": feedback_ok}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    questions = bench_questions()
    tmp = Path(tempfile.mkdtemp(prefix="reportqa-soak-"))
    db = tmp / "feedback.sqlite3"
    env = {"REPORTQA_RATE_LIMIT_PER_MINUTE": "10000000", "REPORTQA_FEEDBACK_DB": str(db)}
    with serving(args.workers, env) as (base, server):
        asyncio.run(soak(base, 10, 4, questions))  # warm-up, not counted
        mem: list[tuple[float, float]] = []

        async def sample_memory(duration: float) -> None:
            t0 = time.monotonic()
            while time.monotonic() - t0 < duration:
                mem.append((round(time.monotonic() - t0), round(rss_mb(server.pid), 1)))
                await asyncio.sleep(max(duration / 20, 1))

        async def both() -> dict[str, object]:
            load = soak(base, args.seconds, args.concurrency, questions)
            res, _ = await asyncio.gather(load, sample_memory(args.seconds))
            return res

        t0 = time.monotonic()
        result = asyncio.run(both())
        wall = time.monotonic() - t0
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM feedback WHERE answer = 'soak'").fetchone()[0]
    warm_up_feedback = stored - int(result["feedback_201"])  # type: ignore[call-overload]
    statuses = result["statuses"]
    fivexx = sum(v for k, v in statuses.items() if k >= 500)  # type: ignore[union-attr]
    first, last = mem[1][1] if len(mem) > 1 else mem[0][1], mem[-1][1]
    report = {
        "seconds": round(wall),
        "concurrency": args.concurrency,
        "workers": args.workers,
        **result,
        "rps": round(int(result["requests"]) / wall, 1),  # type: ignore[call-overload]
        "5xx": fivexx,
        "feedback_stored": stored,
        "feedback_lost": int(result["feedback_201"]) + max(warm_up_feedback, 0) - stored,  # type: ignore[call-overload]
        "rss_mb_first_last_max": [first, last, max(m for _, m in mem)],
        "rss_mb_samples": mem,
    }
    print(json.dumps(report, ensure_ascii=False))
    ok = fivexx == 0 and report["feedback_lost"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
