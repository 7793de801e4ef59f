"""Reading and validating the gold set, and locating its evidence in the report files.

A gold file is JSON Lines, one item per line::

    {"id", "question", "type", "answerable", "answer", "must_include": [...],
     "evidence": [{"file", "quote", "section"}], "history"?: [{"role", "content"}],
     "twin_of"?: "<id of the tuning item a reworded twin rewords>", "moved_from"?: "heldout"}

`validate_gold` returns every problem it finds (it does not stop at the first) so that a broken file can be
fixed in one pass. The gold span of an evidence is ``[text.find(quote), +len(quote))`` in the report's
decoded text, decoded exactly as ingest decodes it, so gold spans and the bot's citation offsets agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.errors import IngestError, ReportQAError
from eval.records import ITEM_TYPES, GoldItem, Span
from ingest.load import load_report

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "question": str,
    "type": str,
    "answerable": bool,
    "answer": str,
    "must_include": list,
    "evidence": list,
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {"history": list, "twin_of": str, "moved_from": str}
_EVIDENCE_KEYS: dict[str, type] = {"file": str, "quote": str, "section": str}
_ROLES = ("user", "assistant")


class GoldError(ReportQAError):
    """The gold file cannot be used; `problems` lists every reason, one line each."""

    code = "gold_error"

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s); fix the gold file:\n{shown}")


class ReportTexts:
    """Decoded report texts by file name, read once each (decoded as ingest does: BOM removed)."""

    def __init__(self, reports_dir: Path):
        self.reports_dir = reports_dir
        self._texts: dict[str, str] = {}

    def get(self, file: str) -> str:
        """The text of `file` (relative to the reports folder). Raises `IngestError` if it is unusable."""
        if file not in self._texts:
            path = self.reports_dir / file
            root = self.reports_dir.resolve()
            if Path(file).is_absolute() or root not in (path.resolve().parents):
                raise IngestError(f"{file}: must be a file name inside {self.reports_dir}.")
            if not path.is_file():
                raise IngestError(f"{file}: no such report in {self.reports_dir}.")
            self._texts[file] = load_report(path, self.reports_dir).text
        return self._texts[file]


def read_jsonl(path: Path) -> tuple[list[tuple[int, Any]], list[str]]:
    """(line number, parsed value) of each non-blank line, and a problem for each line that is not JSON."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot read the file ({exc})"]
    rows: list[tuple[int, Any]] = []
    problems: list[str] = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append((no, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(f"line {no}: not valid JSON ({exc.msg} at column {exc.colno})")
    return rows, problems


def _type_name(t: type | tuple[type, ...]) -> str:
    return t.__name__ if isinstance(t, type) else " or ".join(x.__name__ for x in t)


def _schema_problems(d: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, t in _REQUIRED.items():
        if key not in d:
            out.append(f"missing key {key!r}")
        elif not isinstance(d[key], t):
            out.append(f"{key!r} must be a {_type_name(t)}, got {type(d[key]).__name__}")
    for key, t in _OPTIONAL.items():
        if key in d and not isinstance(d[key], t):
            out.append(f"{key!r} must be a {_type_name(t)}, got {type(d[key]).__name__}")
    unknown = sorted(set(d) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        out.append(f"unknown key(s) {', '.join(map(repr, unknown))} (a typo?)")
    return out


def _content_problems(d: dict[str, Any], texts: ReportTexts) -> list[str]:
    """Checks that need the keys to have the right types already."""
    out: list[str] = []
    if not d["id"].strip():
        out.append("'id' is empty")
    if not d["question"].strip():
        out.append("'question' is empty")
    if d["type"] not in ITEM_TYPES:
        out.append(f"'type' {d['type']!r} is not one of {', '.join(ITEM_TYPES)}")
    if d["type"] == "unanswerable" and d["answerable"]:
        out.append("type 'unanswerable' needs answerable: false")
    for i, m in enumerate(d["must_include"]):
        if not isinstance(m, str) or not m.strip():
            out.append(f"must_include[{i}] must be a non-empty string, got {m!r}")
    if d["answerable"] and not d["must_include"]:
        out.append("an answerable item needs at least one must_include string")
    if d["answerable"] and not d["evidence"]:
        out.append("an answerable item needs at least one evidence quote")
    for i, ev in enumerate(d["evidence"]):
        out.extend(f"evidence[{i}]: {p}" for p in _evidence_problems(ev, texts))
    history = d.get("history", [])
    if isinstance(history, list):
        for i, turn in enumerate(history):
            out.extend(f"history[{i}]: {p}" for p in _turn_problems(turn))
    if d["type"] == "followup" and not history:
        out.append("a followup item needs a non-empty history")
    return out


def _evidence_problems(ev: Any, texts: ReportTexts) -> list[str]:
    if not isinstance(ev, dict):
        return [f"must be an object {{file, quote, section}}, got {type(ev).__name__}"]
    out = [f"missing key {k!r}" for k in _EVIDENCE_KEYS if k not in ev]
    out += [
        f"{k!r} must be a str, got {type(ev[k]).__name__}"
        for k, t in _EVIDENCE_KEYS.items()
        if k in ev and not isinstance(ev[k], t)
    ]
    unknown = sorted(set(ev) - set(_EVIDENCE_KEYS))
    if unknown:
        out.append(f"unknown key(s) {', '.join(map(repr, unknown))}")
    if out:
        return out
    if not ev["quote"]:
        return ["'quote' is empty"]
    try:
        text = texts.get(ev["file"])
    except IngestError as exc:
        return [str(exc)]
    if ev["quote"] not in text:
        return [f"quote is not an exact substring of {ev['file']}: {_clip(ev['quote'])!r}"]
    return []


def _turn_problems(turn: Any) -> list[str]:
    if not isinstance(turn, dict):
        return [f"must be an object {{role, content}}, got {type(turn).__name__}"]
    out = []
    if set(turn) != {"role", "content"}:
        out.append(f"keys must be exactly role and content, got {sorted(turn)}")
    if turn.get("role") not in _ROLES:
        out.append(f"role must be user or assistant, got {turn.get('role')!r}")
    if "content" in turn and not isinstance(turn["content"], str):
        out.append(f"content must be a str, got {type(turn['content']).__name__}")
    return out


def _clip(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n] + "…"


def item_problems(d: Any, texts: ReportTexts) -> list[str]:
    """Every problem of one parsed gold line (schema first; content checks only on a sound schema)."""
    if not isinstance(d, dict):
        return [f"must be a JSON object, got {type(d).__name__}"]
    schema = _schema_problems(d)
    return schema or _content_problems(d, texts)


def validate_rows(rows: Iterable[tuple[int, Any]], texts: ReportTexts) -> list[str]:
    """Problems of parsed gold lines, each prefixed with its line number and item id; plus duplicate ids."""
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for no, d in rows:
        item_id = d.get("id") if isinstance(d, dict) else None
        where = f"line {no}" + (f" ({item_id})" if isinstance(item_id, str) else "")
        problems.extend(f"{where}: {p}" for p in item_problems(d, texts))
        if isinstance(item_id, str):
            if item_id in first_line:
                problems.append(f"{where}: duplicate id {item_id!r} (first on line {first_line[item_id]})")
            else:
                first_line[item_id] = no
    return problems


def validate_gold(path: Path, reports_dir: Path) -> list[str]:
    """Every problem in the gold file at `path`; an empty list means it is usable."""
    rows, problems = read_jsonl(path)
    problems += validate_rows(rows, ReportTexts(reports_dir))
    if not rows and not problems:
        problems.append(f"{path}: no items")
    return problems


def load_gold(path: Path, reports_dir: Path) -> list[GoldItem]:
    """The gold items of `path`, validated. Raises `GoldError` listing every problem."""
    problems = validate_gold(path, reports_dir)
    if problems:
        raise GoldError(path, problems)
    rows, _ = read_jsonl(path)
    return [GoldItem.from_json(d) for _, d in rows]


def gold_spans(item: GoldItem, texts: ReportTexts) -> list[Span]:
    """The gold span of each evidence: the first occurrence of its quote in its file."""
    out = []
    for ev in item.evidence:
        start = texts.get(ev.file).find(ev.quote)
        if start < 0:  # validated items never get here; a changed report file can
            raise GoldError(Path(ev.file), [f"{item.id}: quote no longer in {ev.file}: {_clip(ev.quote)!r}"])
        out.append(Span(ev.file, start, start + len(ev.quote)))
    return out
