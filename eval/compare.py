"""Comparing a run with a previous one: which items changed verdict, and how each metric moved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ReportQAError
from eval.metrics import METRICS
from eval.records import ItemScore


class PreviousRunError(ReportQAError):
    """The previous run given to --compare cannot be read."""

    code = "previous_run_error"


@dataclass
class MetricDelta:
    metric: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass
class Comparison:
    """How the current run differs from `previous` (the folder of an earlier run)."""

    previous: str
    now_failing: list[tuple[str, str]] = field(default_factory=list)  # (id, current reason)
    now_passing: list[tuple[str, str]] = field(default_factory=list)  # (id, previous reason)
    added: list[str] = field(default_factory=list)  # ids only in the current run
    removed: list[str] = field(default_factory=list)  # ids only in the previous run
    deltas: list[MetricDelta] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["deltas"] = [{**asdict(m), "delta": m.delta} for m in self.deltas]
        return d


def load_previous(run_dir: Path) -> dict[str, Any]:
    """The summary.json of an earlier run folder."""
    path = run_dir / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PreviousRunError(f"{path}: not found; --compare takes the folder of an earlier run.") from exc
    except (OSError, ValueError) as exc:
        raise PreviousRunError(f"{path}: cannot read it ({exc}).") from exc
    if not isinstance(data, dict) or "items" not in data or "overall" not in data:
        raise PreviousRunError(f"{path}: not an eval summary (no 'items' or 'overall').")
    return data


def compare(previous: dict[str, Any], label: str, scores: Sequence[ItemScore], overall: dict[str, Any]) -> Comparison:
    """Verdict changes per item id and the change of every metric in `METRICS`."""
    before = {d["id"]: d for d in previous["items"]}
    now = {s.id: s for s in scores}
    cmp = Comparison(previous=label)
    for s in scores:
        old = before.get(s.id)
        if old is None:
            cmp.added.append(s.id)
        elif old["passed"] and not s.passed:
            cmp.now_failing.append((s.id, s.reason))
        elif not old["passed"] and s.passed:
            cmp.now_passing.append((s.id, old.get("reason", "")))
    cmp.removed = [i for i in before if i not in now]
    cmp.deltas = [MetricDelta(m, previous["overall"].get(m), overall.get(m)) for m in METRICS]
    return cmp
