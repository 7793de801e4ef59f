"""CPU time per question in-process (ReportQA.ask), and how much of it is the query embedding.

Asks the distinct questions of the eval sets (as bench/http_load.py sends them: tune, reworded, held-out) once
each, after a warm-up, with the query-vector LRU emptied, and prints the process CPU per question, the share of
questions that made a dense query and the CPU of each embedding. CPU time (time.process_time) does not depend
on what else the machine runs, which wall time on shared cores does. --profile N prints cProfile's N costliest
functions by cumulative time.

Usage: python bench/cpu_per_question.py [--profile 40]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_load import WARM_UP, bench_questions  # noqa: E402

from bot.pipeline import ReportQA  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", type=int, default=0, help="print this many functions of a cProfile")
    args = ap.parse_args()
    qa = ReportQA.from_settings(Settings())
    for q in WARM_UP:
        qa.ask(q)
    vectors = qa.retriever.query_vectors
    embed_cpu, embeds = 0.0, 0
    if vectors is not None:
        vectors.clear()
        inner = vectors.embedder.embed_query

        def timed(text: str) -> list[float]:
            nonlocal embed_cpu, embeds
            t0 = time.process_time()
            try:
                return inner(text)
            finally:
                embed_cpu += time.process_time() - t0
                embeds += 1

        vectors.embedder.embed_query = timed  # type: ignore[method-assign]
    questions = bench_questions()
    profile = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for q in questions:
        qa.ask(q)
    if profile:
        profile.disable()
    cpu, wall, n = time.process_time() - cpu0, time.perf_counter() - wall0, len(questions)
    print(
        json.dumps(
            {
                "questions": n,
                "cpu_ms_per_question": round(cpu * 1000 / n, 1),
                "wall_ms_per_question": round(wall * 1000 / n, 1),
                "embedded_share": round(embeds / n, 3),
                "cpu_ms_per_embedding": round(embed_cpu * 1000 / max(embeds, 1), 1),
                "cpu_ms_per_question_besides_embedding": round((cpu - embed_cpu) * 1000 / n, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
