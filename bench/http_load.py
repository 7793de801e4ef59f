"""HTTP throughput of POST /api/chat on 127.0.0.1 at concurrency 1, 8 and 32 (bounded request counts).

Starts `python -m bot serve` in a subprocess against the index built by `make run` (.data/index), sends the
gold questions round-robin with httpx, and prints requests/s and latency percentiles per concurrency.
Usage: python bench/http_load.py [--requests N] [--workers W] [--index DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.metrics import latency_ms  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run_level(base: str, questions: list[str], concurrency: int, total: int) -> dict[str, float]:
    lat: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            r = await client.post(f"{base}/api/chat", json={"question": questions[i % len(questions)]})
            lat.append((time.perf_counter() - t0) * 1000)
            if r.status_code >= 500:
                errors += 1

    async with httpx.AsyncClient(timeout=60) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {
        "concurrency": concurrency,
        "requests": len(lat),
        "rps": round(len(lat) / wall, 1),
        **latency_ms(lat),
        "errors_5xx": errors,
    }


def gold_questions() -> list[str]:
    gold = ROOT / "eval/gold/gold.jsonl"
    return [json.loads(x)["question"] for x in gold.read_text(encoding="utf-8").splitlines() if x]


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
        deadline = time.time() + 120
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
    ap.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--index", type=Path, help="index folder to serve (default: the settings', .data/index)")
    args = ap.parse_args()
    questions = gold_questions()
    env = {"REPORTQA_INDEX_DIR": str(args.index.resolve())} if args.index else {}
    with serving(args.workers, env) as (base, _server):
        asyncio.run(run_level(base, questions, 4, 20))  # warm-up
        for c in (1, 8, 32):
            print(json.dumps(asyncio.run(run_level(base, questions, c, args.requests))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
