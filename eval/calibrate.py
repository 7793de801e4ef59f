"""Fit the answer-or-refuse gate on the tuning set: `python -m eval calibrate [--set tune --set dev] [--write]`.

Every sentence the extractive answerer weighs as an answer is a row: its features (see `bot.decision`) and a
label, 1 when the item is answerable and the sentence overlaps the item's gold evidence, else 0. A logistic
regression over the rows gives the weights; the threshold is the one with the best row accuracy. The
calibration table compares predicted with observed rates by band. Only the tuning set is used, or the tuning
and dev sets with `--set` (both are open to study): the reworded and held-out sets then show whether the gate
holds on questions it never saw.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.decision import FEATURES, GATE_FILE, AnswerGate, best_threshold, fit
from bot.settings import Settings
from bot.types import HistoryTurn
from eval.gold import ReportTexts, gold_spans
from eval.metrics import overlaps
from eval.records import Span
from eval.sets import SETS, load_set


def collect(
    index: Path | None, reports: Path, sets: tuple[str, ...] = ("tune",)
) -> tuple[list[list[float]], list[int]]:
    """(features, label) of every sentence weighed on the given sets (the tuning set by default)."""
    from bot.answer.extractive import Piece
    from bot.pipeline import ReportQA

    settings = Settings(**({"index_dir": index} if index else {}))  # type: ignore[arg-type]
    qa = ReportQA.from_settings(settings)
    # a gate that accepts nothing: every candidate the answerer would try is weighed and recorded
    qa.extractive.gate = AnswerGate((0.0,) * len(FEATURES), 0.0, 0.99)
    texts = ReportTexts(reports)
    data = qa.index.get()
    xs: list[list[float]] = []
    ys: list[int] = []
    items = [it for name in sets for it in load_set(SETS[name], reports)]
    for item in items:
        qa.extractive.trace = []
        history = [HistoryTurn(role=r, content=c) for r, c in item.history]  # type: ignore[arg-type]
        qa.ask(item.question, history)
        gold = gold_spans(item, texts) if item.answerable else []
        for row in qa.extractive.trace:
            cit = qa.extractive._cite(data, Piece(row["chunk"], row["start"], row["end"]))  # type: ignore[arg-type]
            span = Span(cit.source, cit.start, cit.end)
            xs.append(list(row["features"]))  # type: ignore[call-overload]
            ys.append(int(any(overlaps(span, g) for g in gold)))
    qa.extractive.trace = None
    return xs, ys


def calibration_table(probs: list[float], ys: list[int], bands: int = 5) -> str:
    lines = ["band         rows  predicted  observed"]
    for i in range(bands):
        lo, hi = i / bands, (i + 1) / bands
        rows = [(p, y) for p, y in zip(probs, ys, strict=True) if lo <= p < hi or (i == bands - 1 and p == 1.0)]
        if rows:
            pred = sum(p for p, _ in rows) / len(rows)
            obs = sum(y for _, y in rows) / len(rows)
            lines.append(f"{lo:.1f}–{hi:.1f}   {len(rows):5d}  {pred:9.3f}  {obs:8.3f}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="index folder (default: REPORTQA_INDEX_DIR or .data/index)")
    ap.add_argument("--reports", type=Path, default=Path("data/reports"))
    ap.add_argument("--write", action="store_true", help=f"write the fitted gate to {GATE_FILE}")
    ap.add_argument("--set", action="append", choices=["tune", "dev"], help="fit on these sets (default: tune)")
    args = ap.parse_args(argv)
    sets = tuple(args.set or ["tune"])
    xs, ys = collect(args.index, args.reports, sets)
    weights, bias = fit(xs, ys)
    gate0 = AnswerGate(tuple(weights), bias, 0.5)
    probs = [gate0.probability(x) for x in xs]
    threshold = best_threshold(probs, ys)
    fitted_on = f"{'+'.join(sets)}, {len(ys)} sentences, {sum(ys)} answers"
    gate = AnswerGate(tuple(weights), bias, threshold, fitted_on=fitted_on)
    acc = sum((p >= threshold) == bool(y) for p, y in zip(probs, ys, strict=True)) / len(ys)
    print(f"{len(ys)} sentences ({sum(ys)} that answer); threshold {threshold}; row accuracy {acc:.3f}")
    print(
        "weights: " + ", ".join(f"{f} {w:+.2f}" for f, w in zip(FEATURES, weights, strict=True)) + f", bias {bias:+.2f}"
    )
    print(calibration_table(probs, ys))
    if args.write:
        gate.save()
        print(f"wrote {GATE_FILE}")
    return 0
