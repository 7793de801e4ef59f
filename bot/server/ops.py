"""Operations: GET /healthz (the process answers), GET /readyz (index, vector store and embedder answer), and
the warm-up each worker does before its first request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bot.errors import ReportQAError
from bot.pipeline import ReportQA
from bot.server.deps import QA
from bot.server.widget import suggested_questions
from bot.store import IndexData

log = logging.getLogger(__name__)
router = APIRouter()

PROBE_TEXT = "就绪检查"


@router.get("/healthz", tags=["ops"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"])
def readyz(qa: QA) -> JSONResponse:
    """Ready when the index loads, the vector store answers a query and the embedder embeds a text.

    Each component is probed here and now: readiness never depends on how the last request went, so bad
    input cannot take a worker out of a load balancer.
    """
    try:
        data = qa.index.get()
    except ReportQAError as exc:
        return JSONResponse({"ready": False, "error": str(exc)}, status_code=503)
    body: dict[str, Any] = {"ready": True, "generation": data.generation, "reports": len(data.reports)}
    degraded = probe_dense(qa, data)
    if degraded:
        # not ready: a load balancer should prefer healthy workers; chat still answers from BM25 meanwhile
        body.update(ready=False, degraded=degraded)
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)


def probe_dense(qa: ReportQA, data: IndexData) -> str | None:
    """What is wrong with dense retrieval's components (vector store, embedder), or None when both answer."""
    if data.vectors is None:
        return None
    dim = int(data.manifest.get("dim") or 0)
    try:  # a one-result probe: the store must answer a real query, not just exist
        if dim:
            data.vectors.query([1.0] + [0.0] * (dim - 1), 1)
    except Exception as exc:  # BM25 still answers; say the vector store is down
        return f"vector store unavailable ({type(exc).__name__}); answering from BM25 alone"
    if qa.embedder is None:
        return None
    try:
        vec = qa.embedder.embed_query(PROBE_TEXT)
    except Exception as exc:
        return f"dense retrieval unavailable (embedder {type(exc).__name__}: {str(exc)[:160]}); answering from BM25"
    if dim and len(vec) != dim:
        return f"dense retrieval unavailable: the embedder gives {len(vec)}-dim vectors, the index holds {dim}"
    return None


def warm_up(get: Callable[[], ReportQA]) -> None:
    """Load the index, the query parser, jieba and the embedder, and make the suggested questions, so that the
    first requests a worker takes cost what later ones do. A missing index is logged, not fatal: /readyz says."""
    t0 = time.perf_counter()
    try:
        qa = get()
        data = qa.index.get()
        problem = probe_dense(qa, data)
        suggested_questions(qa)
    except ReportQAError as exc:
        log.warning("warm-up skipped: %s", exc)
        return
    log.info("warmed up in %.1f s%s", time.perf_counter() - t0, f" ({problem})" if problem else "")
