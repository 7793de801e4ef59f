"""The catalogue and the texts: GET /api/reports, /api/reports/{id} and a passage by its offsets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from bot.errors import BadRequest, NotFound
from bot.pipeline import ReportQA
from bot.server.deps import QA
from bot.store import ReportRecord

router = APIRouter()


@router.get("/api/reports", tags=["reports"])
def reports(qa: QA) -> dict[str, Any]:
    data = qa.index.get()
    items = []
    for rid, rec in data.reports.items():
        m = rec.meta
        items.append(
            {
                "report_id": rid,
                "source": m.source,
                "title": m.title,
                "issuer": m.issuer,
                "region": m.region.model_dump(),
                "years": m.years,
                "published": m.published,
                "sections": len(rec.sections),
            }
        )
    return {"reports": items}


def _record(qa: ReportQA, report_id: str) -> ReportRecord:
    rec = qa.index.get().reports.get(report_id)
    if rec is None:
        raise NotFound(f"no report with id {report_id!r}; GET /api/reports lists them.")
    return rec


@router.get("/api/reports/{report_id}", tags=["reports"])
def report(report_id: str, qa: QA) -> dict[str, Any]:
    rec = _record(qa, report_id)
    return {**rec.meta.model_dump(exclude={"content_hash"}), "sections": rec.sections}


@router.get("/api/reports/{report_id}/passage", tags=["reports"])
def passage(report_id: str, qa: QA, start: int = Query(ge=0), end: int = Query(ge=0)) -> dict[str, Any]:
    rec = _record(qa, report_id)
    n = len(rec.text)
    if end <= start or end > n:
        raise BadRequest(f"need 0 <= start < end <= {n} for report {report_id}, got start={start}, end={end}")
    inside = [s for s in rec.sections if s["start"] <= start and end <= s["end"]]
    sec = min(inside, key=lambda s: s["end"] - s["start"]) if inside else None
    s_start, s_end = (sec["start"], sec["end"]) if sec else (max(0, start - 200), min(n, end + 200))
    return {
        "report_id": report_id,
        "title": rec.meta.title,
        "section": sec["path"] if sec else [],
        "section_start": s_start,
        "section_end": s_end,
        "section_text": rec.text[s_start:s_end],
        "start": start,
        "end": end,
        "quote": rec.text[start:end],
    }
