"""What the web widget needs: GET /api/config (its limits and suggested questions), its script and style, and
the demo page at /."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from bot.errors import ReportQAError
from bot.pipeline import ReportQA
from bot.server.deps import QA, AppSettings
from bot.store import IndexData

log = logging.getLogger(__name__)
router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"


@router.get("/api/config", tags=["widget"])
def widget_config(qa: QA, settings: AppSettings) -> dict[str, Any]:
    try:
        suggestions = suggested_questions(qa)
    except ReportQAError as exc:  # no index yet: the widget still gets its limits
        log.info("no suggested questions: %s", exc)
        suggestions = []
    return {
        "max_question_chars": qa.max_question_chars,
        "max_body_bytes": settings.max_body_bytes,
        "rate_limit_per_minute": settings.rate_limit_per_minute,
        "suggestions": suggestions,
    }


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="application/javascript; charset=utf-8")


@router.get("/widget.css", include_in_schema=False)
def widget_css() -> FileResponse:
    return FileResponse(STATIC / "widget.css", media_type="text/css; charset=utf-8")


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def demo(settings: AppSettings) -> HTMLResponse:
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    key = settings.widget_key or ""
    return HTMLResponse(page.replace("{{WIDGET_KEY}}", key))


_NUMBERING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百]+[章节部分]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[.．、])\s*"
)
_SUGGESTIONS: dict[str, list[str]] = {}


def suggested_questions(qa: ReportQA, limit: int = 4) -> list[str]:
    """Questions the bot answers, made from the ingested reports' catalogue and section headings.

    One about the catalogue (which reports, which years), then one per report: the first second-level heading
    that has sub-sections ("（一）加强组织领导，…" with its 1. 2. items), asked as "海珠区人社局2017年在“加强组织
    领导”方面做了哪些工作？". A candidate is kept only when the answerer answers it with a citation. Cached per
    index generation.
    """
    data = qa.index.get()
    cached = _SUGGESTIONS.get(str(data.path))
    if cached is not None:
        return cached[:limit]
    out: list[str] = []
    for question in _candidate_questions(data):
        try:
            prep = qa.prepare(question)  # answered as `ask` would, minus the LLM (this must stay cheap)
            answer = qa._collection(prep) or qa.extractive.answer(prep)
        except ReportQAError:
            continue
        if answer.answerable and answer.citations:
            out.append(question)
        if len(out) >= limit:
            break
    _SUGGESTIONS.clear()
    _SUGGESTIONS[str(data.path)] = out
    return out


def _candidate_questions(data: IndexData) -> Iterator[str]:
    if len(data.reports) > 1:  # the catalogue itself (bot.catalog answers it from the reports' metadata)
        yield f"现有的{len(data.reports)}份报告分别是哪一年的？"
    for rid in sorted(data.reports):
        rec = data.reports[rid]
        paths = [tuple(s["path"]) for s in rec.sections]
        parents = {p[:-1] for p in paths if len(p) > 1}
        heads: list[tuple[str, ...]] = [p for p in paths if len(p) == 2 and p in parents] or sorted(
            (p for p in paths if len(p) <= 2), key=len, reverse=True
        )
        name = rec.meta.short_name.removesuffix("报告")
        for path in heads[:2]:
            topic = re.split(r"[，,。；;：:]", _NUMBERING.sub("", path[-1]))[0].strip().rstrip("…")
            if 2 <= len(topic) <= 20:
                yield f"{name}在“{topic}”方面做了哪些工作？"
                break
