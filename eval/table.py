"""The plain-text totals table the CLI prints: one row per question type and one overall."""

from __future__ import annotations

from typing import Any

COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "n"),
    ("pass", "pass_rate"),
    ("keyfact", "key_fact_accuracy"),
    ("concise", "conciseness"),
    ("cite", "citation_accuracy"),
    ("c.prec", "citation_precision"),
    ("refuse", "refusal_accuracy"),
    ("f.refuse", "false_refusal_rate"),
    ("R@k", "recall_at_k"),
    ("MRR", "mrr"),
    ("F1", "token_f1"),
    ("p50ms", "latency_p50_ms"),
    ("p95ms", "latency_p95_ms"),
)


def fmt(metric: str, value: Any) -> str:
    """A metric value for people: '—' when undefined, counts and milliseconds as such, else 3 decimals."""
    if value is None:
        return "—"
    if metric in ("n", "n_answerable", "n_unanswerable"):
        return str(value)
    if metric.endswith("_ms"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def totals_table(overall: dict[str, Any], by_type: dict[str, dict[str, Any]], k: int) -> str:
    """The table as text, with aligned columns; R@k is labelled with the run's k."""
    headers = ["type"] + [h.replace("@k", f"@{k}") for h, _ in COLUMNS]
    rows = [[t] + [fmt(m, agg[m]) for _, m in COLUMNS] for t, agg in by_type.items()]
    rows.append(["overall"] + [fmt(m, overall[m]) for _, m in COLUMNS])
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    sep = "-" * len(line(headers))
    return "\n".join([line(headers), sep, *map(line, rows[:-1]), sep, line(rows[-1])])
