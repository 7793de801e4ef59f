"""The gold sets, side by side: the tuning set, its reworded twins, and the blind held-out set.

- ``tune`` (eval/gold/gold.jsonl): the set the answerer was developed on.
- ``reworded`` (eval/gold/reworded.jsonl): a twin of every tuning item, the same fact asked in other words by
  someone who never saw the code.
- ``dev`` (eval/gold/dev/*.jsonl): questions written blind from the report texts alone, by a writer who never saw
  the code or the other sets, but open to study: failures here may be read to find a mechanism's bug.
- ``heldout`` (eval/gold/heldout/*.jsonl): questions written blind from the report texts alone, never studied.

A set is a file or a folder of ``*.jsonl`` files. The gap between the held-out figures and the tuning figures
is what the harness is for: a change that helps only the tuning set shows there.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.gold import GoldError, load_gold
from eval.records import GoldItem
from eval.table import fmt

GOLD_DIR = Path(__file__).resolve().parent / "gold"
SETS: dict[str, Path] = {
    "tune": GOLD_DIR / "gold.jsonl",
    "reworded": GOLD_DIR / "reworded.jsonl",
    "dev": GOLD_DIR / "dev",
    "heldout": GOLD_DIR / "heldout",
}
# the figures shown side by side, with the gap of each set to the tuning set
GAP_METRICS: tuple[str, ...] = (
    "pass_rate",
    "key_fact_accuracy",
    "conciseness",
    "citation_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "recall_at_k",
)


def set_files(path: Path) -> list[Path]:
    """The gold files of a set: the file itself, or a folder's ``*.jsonl`` files in name order."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.jsonl") if p.is_file())
    return [path]


def load_set(path: Path, reports_dir: Path) -> list[GoldItem]:
    """Every item of a set, validated; ids must be unique across its files."""
    items: list[GoldItem] = []
    files = set_files(path)
    if not files:
        raise GoldError(path, ["no *.jsonl files in this folder"])
    for f in files:
        items += load_gold(f, reports_dir)
    counts = Counter(i.id for i in items)
    dups = sorted(k for k, n in counts.items() if n > 1)
    if dups:
        raise GoldError(path, [f"duplicate id {d!r} across the set's files" for d in dups])
    return items


def available() -> dict[str, Path]:
    """The default sets that exist."""
    out = {}
    for name, p in SETS.items():
        if p.is_file() or (p.is_dir() and set_files(p)):
            out[name] = p
    return out


def gaps(overall_by_set: Mapping[str, Mapping[str, Any]], base: str = "tune") -> dict[str, dict[str, float | None]]:
    """Each set's difference to `base`, metric by metric (None where either side is undefined)."""
    ref = overall_by_set.get(base)
    out: dict[str, dict[str, float | None]] = {}
    if ref is None:
        return out
    for name, overall in overall_by_set.items():
        if name == base:
            continue
        out[name] = {
            m: (round(overall[m] - ref[m], 4) if overall.get(m) is not None and ref.get(m) is not None else None)
            for m in GAP_METRICS
        }
    return out


def sets_table(overall_by_set: Mapping[str, Mapping[str, Any]]) -> str:
    """Metric rows × set columns, then each set's gap to the tuning set."""
    names = list(overall_by_set)
    gap = gaps(overall_by_set)
    headers = ["metric", *names, *[f"{n}−tune" for n in gap]]
    rows = [["n", *[str(overall_by_set[n]["n"]) for n in names], *["" for _ in gap]]]
    for m in GAP_METRICS:
        vals = [fmt(m, overall_by_set[n].get(m)) for n in names]
        deltas = [_signed(gap[n][m]) for n in gap]
        rows.append([m, *vals, *deltas])
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in [headers, *rows]
    ]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def _signed(v: float | None) -> str:
    return "—" if v is None else f"{v:+.3f}"


def write_sets_page(out_dir: Path, overall_by_set: Mapping[str, Mapping[str, Any]], info: Mapping[str, Any]) -> Path:
    """sets.json and index.html in `out_dir`: the figures side by side, the gaps, and links to each report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"sets": {n: dict(o) for n, o in overall_by_set.items()}, "gaps": gaps(overall_by_set), "run": dict(info)}
    (out_dir / "sets.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    names = list(overall_by_set)
    gap = gaps(overall_by_set)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names) + "".join(
        f"<th>{html.escape(n)} − tune</th>" for n in gap
    )
    body = []
    for m in ("n", *GAP_METRICS):
        cells = "".join(f"<td>{html.escape(fmt(m, overall_by_set[n].get(m)))}</td>" for n in names)
        deltas = "".join(_gap_cell(m, gap[n].get(m) if m != "n" else None) for n in gap)
        body.append(f"<tr><th>{html.escape(m)}</th>{cells}{deltas}</tr>")
    links = " · ".join(f'<a href="{html.escape(n)}/report.html">{html.escape(n)}</a>' for n in names)
    page = f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>ReportQA eval: sets</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th:first-child{{text-align:left}}
.bad{{background:#fde2e1}}.good{{background:#e3f6e5}}</style></head><body>
<h1>Tuning, reworded and held-out sets</h1>
<p>The held-out and reworded sets were written blind. A gap to the tuning set is overfitting to measure, not noise
to explain away.</p>
<table><tr><th>metric</th>{head}</tr>{"".join(body)}</table>
<p>Per-item reports: {links}</p></body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _gap_cell(metric: str, v: float | None) -> str:
    if v is None:
        return "<td></td>"
    worse = v > 0.02 if metric == "false_refusal_rate" else v < -0.02
    better = v < -0.02 if metric == "false_refusal_rate" else v > 0.02
    cls = " class=bad" if worse else " class=good" if better else ""
    return f"<td{cls}>{_signed(v)}</td>"


def set_names(argv_sets: Sequence[str] | None) -> dict[str, Path]:
    """The sets a run asks for by name (every available one when none is named)."""
    avail = available()
    if not argv_sets:
        return avail
    unknown = [s for s in argv_sets if s not in SETS]
    if unknown:
        raise GoldError(Path("--set"), [f"unknown set {u!r}; known: {', '.join(SETS)}" for u in unknown])
    return {s: avail.get(s, SETS[s]) for s in argv_sets}
