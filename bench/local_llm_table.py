"""Side by side: two `python -m eval run` folders over the same gold items (generative with the local model,
and extractive), as the Markdown rows BENCHMARKS.md shows.

    python bench/local_llm_table.py GENERATIVE_DIR EXTRACTIVE_DIR

Besides eval's own metrics it counts, from each run's answers.jsonl, how often verification changed a
generative answer (a note in its reason) and how often it replaced one by the extractive answer (mode
extractive with a reason from the LLM path: ungrounded, a lead-in, no reference, the budget, a transport error).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

METRICS = [
    ("pass rate", "pass_rate"),
    ("key facts", "key_fact_accuracy"),
    ("citation accuracy", "citation_accuracy"),
    ("citation precision", "citation_precision"),
    ("refusals right (unanswerable)", "refusal_accuracy"),
    ("false refusals (answerable)", "false_refusal_rate"),
]


def load(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    answers = [json.loads(line) for line in (folder / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, answers


def changes(answers: list[dict[str, Any]]) -> dict[str, int]:
    generative = [a for a in answers if a.get("mode") == "generative"]
    fell_back = [
        a for a in answers if a.get("mode") != "generative" and "answered extractively" in (a.get("reason") or "")
    ]
    return {
        "generative": len(generative),
        "changed": sum(1 for a in generative if "verification:" in (a.get("reason") or "")),
        "replaced (ungrounded)": sum(1 for a in fell_back if "not in the blocks it cites" in a["reason"]),
        "replaced (budget)": sum(1 for a in fell_back if "budget" in a["reason"]),
        "replaced (other)": sum(
            1 for a in fell_back if "not in the blocks it cites" not in a["reason"] and "budget" not in a["reason"]
        ),
    }


def main(argv: list[str]) -> int:
    gen_dir, ext_dir = (Path(a) for a in argv)
    (gen, gen_answers), (ext, ext_answers) = load(gen_dir), load(ext_dir)
    g, e = gen["overall"], ext["overall"]
    print(f"| metric ({g['n']} held-out items) | local model (generative) | extractive |")
    print("|---|---|---|")
    for label, key in METRICS:
        print(f"| {label} | {g[key]:.3f} | {e[key]:.3f} |")
    for label, answers in (("local model", gen_answers), ("extractive", ext_answers)):
        ms = [a["latency_ms"] for a in answers]
        print(
            f"| time per answer, {label}: median / p90 / max | "
            f"{statistics.median(ms) / 1000:.1f} s / {sorted(ms)[int(0.9 * (len(ms) - 1))] / 1000:.1f} s / "
            f"{max(ms) / 1000:.1f} s | |"
        )
    c = changes(gen_answers)
    print(
        f"\nanswers written by the model: {c['generative']} of {len(gen_answers)}; verification changed "
        f"{c['changed']} of them; replaced by the extractive answer: {c['replaced (ungrounded)']} ungrounded, "
        f"{c['replaced (budget)']} past the budget, {c['replaced (other)']} other (no reference, a lead-in, "
        "garbage, a transport error)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
