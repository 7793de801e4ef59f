"""The CI gate: overall metrics against eval/thresholds.json.

A key ``X`` requires ``overall[X] >= value``; a key ``max_X`` requires ``overall[X] <= value``. Keys starting
with ``_`` are comments. A key naming no metric is an error, so a typo cannot pass silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.errors import ReportQAError
from eval.metrics import METRICS

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.json")


class ThresholdsError(ReportQAError):
    """The thresholds file is missing, not JSON, or names an unknown metric."""

    code = "thresholds_error"


def load_thresholds(path: Path = DEFAULT_THRESHOLDS, gold_set: str = "tune") -> dict[str, float]:
    """The thresholds of `path` for one gold set, comments (keys starting with "_") left out.

    The file holds either one object of metric: value (for the tuning set), or one such object per set name
    ({"tune": {...}, "heldout": {...}}). A set the file does not list has no thresholds ({}).
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ThresholdsError(f"{path}: cannot read the thresholds ({exc}).") from exc
    if not isinstance(raw, dict):
        raise ThresholdsError(f"{path}: must be a JSON object of metric: value.")
    if any(isinstance(v, dict) for v in raw.values()):
        raw = raw.get(gold_set, {})
        if not isinstance(raw, dict):
            raise ThresholdsError(f"{path}: {gold_set!r} must be a JSON object of metric: value.")
    elif gold_set != "tune":
        return {}
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key.startswith("_"):
            continue
        metric = key.removeprefix("max_")
        if metric not in METRICS:
            raise ThresholdsError(f"{path}: {key!r} names no metric; known: {', '.join(METRICS)}.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ThresholdsError(f"{path}: {key!r} must be a number, got {value!r}.")
        out[key] = float(value)
    return out


def check(overall: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """One line per unmet threshold; [] when the gate passes. An undefined (None) metric fails."""
    failures = []
    for key, limit in thresholds.items():
        metric = key.removeprefix("max_")
        value = overall.get(metric)
        at_most = key.startswith("max_")
        if value is None:
            failures.append(f"{metric} is undefined (no item it applies to); threshold {key}={limit}")
        elif (value > limit) if at_most else (value < limit):
            op = "<=" if at_most else ">="
            failures.append(f"{metric} = {value:.4f}, needs {op} {limit}")
    return failures
