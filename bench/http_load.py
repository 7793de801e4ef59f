"""HTTP throughput of POST /api/chat on 127.0.0.1, and (with --abuse) how one hostile request affects others.

Starts `python -m bot serve` in a subprocess against the index built by `make run` (.data/index). Each level
sends distinct questions (the tune, reworded and held-out sets, deduplicated, each question sent once per
run), so that the query-vector cache never flatters the figure; a level asks for at most that many (60 at
concurrency 1). Prints one JSON line per concurrency level: requests/s, latency percentiles, 5xx count, and the
CPU time the server's processes (uvicorn and its workers) spent per request, from /proc: the figure that does
not depend on what else the machine is running.

--abuse then measures, on the same server: a 20,000-character history turn (refused with 422) and a
1,920-character question (answered), each sent at the same moment as a short question, against that short
question's latency alone.

Usage: python bench/http_load.py [--requests N] [--levels 1 32] [--workers W] [--abuse [--abuse-runs 3]]
       [--index DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.metrics import latency_ms  # noqa: E402

WARM_UP = ["白云区人社局有哪些工作报告？", "法治政府建设取得了哪些成效？", "行政复议案件办理情况如何？"]
SHORT = "嘉定区人社局2023年办了多少行政复议和应诉案件？"
FOLLOW_UP = "那正职领导出庭了几次？"


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    used: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            # the fields after the command name, which is in parentheses and may hold spaces
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parent[int(d.name)] = int(fields[1])
        used[int(d.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo += [c for c, pp in parent.items() if pp == p and c not in tree]
    return sum(used.get(p, 0.0) for p in tree)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run_level(base: str, questions: list[str], concurrency: int, server_pid: int | None = None) -> dict[str, Any]:
    """Send each question once, `concurrency` at a time; with `server_pid`, also the server's CPU per request."""
    lat: list[float] = []
    errors = 0
    todo = iter(questions)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for q in todo:
            t0 = time.perf_counter()
            r = await client.post(f"{base}/api/chat", json={"question": q})
            lat.append((time.perf_counter() - t0) * 1000)
            if r.status_code >= 500:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        cpu0 = tree_cpu_s(server_pid) if server_pid else 0.0
        own0 = time.process_time()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
        own = time.process_time() - own0
        cpu = tree_cpu_s(server_pid) - cpu0 if server_pid else None
    n = max(len(lat), 1)
    return {
        "concurrency": concurrency,
        "requests": len(lat),
        "rps": round(len(lat) / wall, 1),
        **latency_ms(lat),
        "errors_5xx": errors,
        **({"server_cpu_ms_per_request": round(cpu * 1000 / n, 1)} if cpu is not None else {}),
        "client_cpu_ms_per_request": round(own * 1000 / n, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


async def timed(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> tuple[int, float]:
    t0 = time.perf_counter()
    r = await client.post(url, json=body)
    return r.status_code, (time.perf_counter() - t0) * 1000


async def abuse(base: str, questions: list[str], runs: int = 3) -> dict[str, Any]:
    """A hostile request and a short question sent at the same moment, against the short question alone.

    Each short question is one not asked before in this run, so none is answered from the cache."""
    url = f"{base}/api/chat"
    shorts = iter(questions)
    hostile = {
        # a follow-up naming no report takes its topic from the previous user turn: here, 20,000 characters
        "20k_history_turn": {"question": FOLLOW_UP, "history": [{"role": "user", "content": SHORT + "问" * 20_000}]},
        "1920_char_question": {"question": (("请详细说明" + SHORT) * 80)[:1920]},
    }
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=120) as client:
        alone = [(await timed(client, url, {"question": next(shorts)}))[1] for _ in range(5)]
        out["short_alone_ms"] = round(statistics.median(alone), 1)
        for name, body in hostile.items():
            seen = []
            for _ in range(runs):
                (status, bad_ms), (_s, short_ms) = await asyncio.gather(
                    timed(client, url, body), timed(client, url, {"question": next(shorts)})
                )
                seen.append((status, bad_ms, short_ms))
            out[name] = {
                "status": sorted({r[0] for r in seen}),
                "hostile_ms_max": round(max(r[1] for r in seen), 1),
                "short_alongside_ms_max": round(max(r[2] for r in seen), 1),
            }
    return out


def bench_questions() -> list[str]:
    """The questions of every eval set, deduplicated, in a fixed order."""
    gold = ROOT / "eval/gold"
    files = [gold / "gold.jsonl", gold / "reworded.jsonl", *sorted((gold / "heldout").glob("*.jsonl"))]
    seen: dict[str, None] = {}
    for f in files:
        if f.exists():
            for line in f.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    seen.setdefault(json.loads(line)["question"], None)
    return list(seen)


@contextlib.contextmanager
def serving(workers: int, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m bot serve` on a free loopback port, once /readyz says ready: (base URL, server process).

    `env` adds to the environment (the rate limit is lifted and logging quietened by default)."""
    port = free_port()
    full = {**os.environ, "REPORTQA_RATE_LIMIT_PER_MINUTE": "1000000", "REPORTQA_LOG_LEVEL": "warning", **env}
    cmd = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(cmd, cwd=ROOT, env=full)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("server did not become ready")
            time.sleep(0.5)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200, help="requests per concurrency level (at most)")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 32], help="concurrency levels")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--abuse", action="store_true", help="also measure hostile requests beside short ones")
    ap.add_argument("--abuse-runs", type=int, default=3, help="times each hostile request is sent")
    ap.add_argument("--index", type=Path, help="index folder to serve (default: the settings', .data/index)")
    args = ap.parse_args()
    questions = bench_questions()
    env = {"REPORTQA_INDEX_DIR": str(args.index.resolve())} if args.index else {}
    with serving(args.workers, env) as (base, server):
        asyncio.run(run_level(base, WARM_UP * args.workers * 2, args.workers))
        pos = 0
        for c in args.levels:
            n = min(args.requests, len(questions) - pos) if c > 1 else min(args.requests, 60, len(questions) - pos)
            found = asyncio.run(run_level(base, questions[pos : pos + n], c, server.pid))
            print(json.dumps({"workers": args.workers, **found}))
            pos += n
        if args.abuse:
            # short questions not asked yet in this run (else made new by a year no report covers)
            fresh = questions[pos:] + [f"{q}（{2000 + i}年）" for i, q in enumerate(questions)]
            found = asyncio.run(abuse(base, fresh, args.abuse_runs))
            print(json.dumps({"workers": args.workers, "abuse": found}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
