"""The decision to answer or refuse: a logistic model over named features of the best evidence sentence.

The extractive answerer finds the sentence that best covers the question; this gate says whether that
sentence answers it. Its weights are fitted on the tuning set (`python -m eval calibrate`) and stored in
`bot/answer_gate.json`, with the threshold that maximised the answer-or-refuse accuracy there; the held-out
sets check them. No threshold is set by hand for an item.

Features (each in [0, 1]):
- ``coverage``: IDF-weighted share of the asked terms the sentence (or its section heading) holds;
- ``type_ok``: the sentence holds the asked kind of fact (a number with the asked unit, a date, a name…);
- ``typed``: the question asks for a typed fact at all (count, percent, amount, who, when, name, rank);
- ``matched``: share of asked terms matched outright (not by partial characters);
- ``key``: the rarest asked noun is in the sentence or its heading;
- ``hit_rank``: 1 / (1 + rank of the sentence's chunk among the retrieved chunks);
- ``dense`` and ``bm25``: 1 / (1 + the chunk's rank in each retriever), 0 when that retriever missed it;
- ``margin``: how far the sentence's score is ahead of the next sentence's (capped at 1);
- ``scoped``: the question names its report(s).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

FEATURES: tuple[str, ...] = (
    "coverage",
    "type_ok",
    "typed",
    "matched",
    "key",
    "hit_rank",
    "dense",
    "bm25",
    "margin",
    "scoped",
)
GATE_FILE = Path(__file__).with_name("answer_gate.json")


@dataclass(frozen=True)
class AnswerGate:
    """P(the sentence answers the question) = sigmoid(bias + Σ weight·feature); answer when ≥ threshold."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    fitted_on: str = ""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(
                f"AnswerGate needs {len(FEATURES)} weights ({', '.join(FEATURES)}), got {len(self.weights)}"
            )
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def accept(self, features: Sequence[float]) -> bool:
        return self.probability(features) >= self.threshold

    def save(self, path: Path = GATE_FILE) -> None:
        data = asdict(self) | {"features": list(FEATURES)}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = GATE_FILE) -> AnswerGate | None:
        """The fitted gate, or None when there is none (the answerer then uses its coverage thresholds)."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"{path}: fitted for other features; refit with `python -m eval calibrate`")
        return cls(tuple(data["weights"]), data["bias"], data["threshold"], data.get("fitted_on", ""))


def fit(
    x: Sequence[Sequence[float]], y: Sequence[int], *, l2: float = 0.5, steps: int = 3000
) -> tuple[list[float], float]:
    """Weights and bias of an L2-regularised logistic regression (batch gradient descent; a few hundred rows)."""
    import numpy as np

    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    w = np.zeros(xs.shape[1])
    b = 0.0
    n = len(ys)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xs @ w + b)))
        grad_w = xs.T @ (p - ys) / n + l2 * w / n
        grad_b = float(np.mean(p - ys))
        w -= 0.5 * grad_w
        b -= 0.5 * grad_b
    return [round(float(v), 4) for v in w], round(b, 4)


def best_threshold(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    """The threshold with the highest accuracy of accept-when-label-1 (ties: the middle of the best run)."""
    cands = sorted({round(p, 3) for p in probabilities} | {0.5})
    scored = [(sum((p >= t) == bool(lab) for p, lab in zip(probabilities, labels, strict=True)), t) for t in cands]
    top = max(s for s, _ in scored)
    best = [t for s, t in scored if s == top]
    return min(0.95, max(0.05, best[len(best) // 2]))
