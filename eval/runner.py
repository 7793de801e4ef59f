"""Running the real bot over a gold set and writing the results: answers.jsonl, summary.json, report.html."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import ReportQAError
from bot.pipeline import ReportQA
from bot.types import Answer, HistoryTurn
from eval.compare import Comparison
from eval.gold import ReportTexts, gold_spans
from eval.metrics import aggregate, aggregate_by_type, score_item
from eval.records import BotRecord, GoldItem, ItemScore

log = logging.getLogger(__name__)


@dataclass
class EvalRun:
    """Everything one run produced: the items, the bot's answers, their scores and the aggregates."""

    items: list[GoldItem]
    records: list[BotRecord]
    scores: list[ItemScore]
    overall: dict[str, Any]
    by_type: dict[str, dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)
    comparison: Comparison | None = None

    def summary(self) -> dict[str, Any]:
        """The content of summary.json."""
        out: dict[str, Any] = {
            "run": self.info,
            "overall": self.overall,
            "by_type": self.by_type,
            "items": [s.to_json() for s in self.scores],
        }
        if self.comparison is not None:
            out["compare"] = self.comparison.to_json()
        return out


def _record(item: GoldItem, ans: Answer, latency_ms: float) -> BotRecord:
    return BotRecord(
        id=item.id,
        question=item.question,
        answer=ans.answer,
        answerable=ans.answerable,
        citations=[
            c.model_dump(include={"report_id", "source", "title", "section", "quote", "start", "end"})
            for c in ans.citations
        ],
        contexts=[c.model_dump() for c in ans.contexts],
        latency_ms=round(latency_ms, 2),
        mode=ans.mode,
        reason=ans.reason,
    )


def _history(item: GoldItem) -> list[HistoryTurn]:
    return [HistoryTurn(role=role, content=content) for role, content in item.history]  # type: ignore[arg-type]


def ask_all(qa: ReportQA, items: Sequence[GoldItem], *, progress: bool = False) -> list[BotRecord]:
    """Ask the bot every item (follow-ups with their history), timing each call.

    The index is loaded first, so a missing or broken index raises its own error instead of failing every
    item. One untimed warm-up call then loads jieba and the embedder. A `ReportQAError` on an item is
    recorded on its record (and fails the item); any other exception is a bug and propagates.
    """
    data = qa.index.get()
    log.info("index generation %s", data.generation)
    if items:
        try:
            qa.ask(items[0].question)
        except ReportQAError as exc:
            log.warning("warm-up question failed: %s", exc)
    iterator: Any = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc="asking", unit="q")
    out: list[BotRecord] = []
    for item in iterator:
        t0 = time.perf_counter()
        try:
            ans = qa.ask(item.question, _history(item))
        except ReportQAError as exc:
            ms = (time.perf_counter() - t0) * 1000
            log.warning("%s: the bot failed: %s", item.id, exc)
            out.append(BotRecord(item.id, item.question, "", False, latency_ms=round(ms, 2), error=str(exc)))
            continue
        out.append(_record(item, ans, (time.perf_counter() - t0) * 1000))
    return out


def score_all(items: Sequence[GoldItem], records: Sequence[BotRecord], texts: ReportTexts, k: int) -> list[ItemScore]:
    """Score each record against the gold item with the same id (records and items in the same order)."""
    by_id = {r.id: r for r in records}
    missing = [i.id for i in items if i.id not in by_id]
    if missing:
        raise ValueError(f"no bot record for item(s) {', '.join(missing)}")
    return [score_item(item, by_id[item.id], gold_spans(item, texts), k) for item in items]


def citation_problems(records: Sequence[BotRecord], texts: ReportTexts) -> list[str]:
    """Citations breaking the contract ``text[start:end] == quote`` (or naming an unknown file)."""
    out = []
    for rec in records:
        for i, c in enumerate(rec.citations):
            try:
                text = texts.get(c["source"])
            except ReportQAError as exc:
                out.append(f"{rec.id} citation {i + 1}: {exc}")
                continue
            if text[c["start"] : c["end"]] != c["quote"]:
                out.append(f"{rec.id} citation {i + 1}: {c['source']}[{c['start']}:{c['end']}] is not its quote")
    return out


def evaluate(
    qa: ReportQA,
    items: Sequence[GoldItem],
    reports_dir: Path,
    k: int,
    *,
    info: dict[str, Any] | None = None,
    progress: bool = False,
) -> EvalRun:
    """Ask, score and aggregate: one complete eval run (nothing written yet)."""
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    records = ask_all(qa, items, progress=progress)
    texts = ReportTexts(reports_dir)
    scores = score_all(items, records, texts, k)
    bad_citations = citation_problems(records, texts)
    for problem in bad_citations:
        log.warning("%s", problem)
    run_info = {
        "started_at": started,
        "seconds": round(time.perf_counter() - t0, 2),
        "n_items": len(items),
        "k": k,
        "reports_dir": str(reports_dir),
        "mode": _mode(qa),
        "index_generation": qa.index.get().generation,
        "invalid_citations": bad_citations,
        **(info or {}),
    }
    return EvalRun(list(items), records, scores, aggregate(scores), aggregate_by_type(scores), run_info)


def _mode(qa: ReportQA) -> str:
    return "generative" if qa.llm is not None else "extractive"


def write_outputs(run: EvalRun, out_dir: Path, thresholds: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write answers.jsonl, summary.json and report.html into `out_dir`; return their paths by name."""
    from eval.report import render_report

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "answers": out_dir / "answers.jsonl",
        "summary": out_dir / "summary.json",
        "report": out_dir / "report.html",
    }
    with open(paths["answers"], "w", encoding="utf-8") as f:
        for rec in run.records:
            f.write(json.dumps(rec.to_json(), ensure_ascii=False) + "\n")
    paths["summary"].write_text(json.dumps(run.summary(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths["report"].write_text(render_report(run, thresholds), encoding="utf-8")
    log.info("wrote %s", ", ".join(str(p) for p in paths.values()))
    return paths
