"""Feedback on answers (thumbs up or down, a comment), kept in SQLite with the question, answer and citations;
POST /api/feedback stores one."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from bot.types import Citation

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    comment TEXT,
    session_id TEXT
)
"""


class FeedbackStore:
    """One connection per write (safe across threads and worker processes; WAL lets readers go on)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, record: dict[str, Any]) -> int:
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, rating, question, answer, citations, comment, session_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    record["rating"],
                    record["question"],
                    record["answer"],
                    json.dumps(record.get("citations") or [], ensure_ascii=False),
                    record.get("comment"),
                    record.get("session_id"),
                ),
            )
            return int(cur.lastrowid or 0)

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"])} for r in rows]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])


class FeedbackRequest(BaseModel):
    rating: Literal["up", "down"]
    question: str = Field(max_length=20_000)
    answer: str = Field(max_length=50_000)
    citations: list[Citation] = Field(default_factory=list, max_length=50)
    comment: str | None = Field(default=None, max_length=5_000)
    session_id: str | None = Field(default=None, max_length=100)


router = APIRouter()


def get_feedback(request: Request) -> FeedbackStore:
    store: FeedbackStore = request.app.state.feedback
    return store


@router.post("/api/feedback", tags=["chat"], status_code=201)
def post_feedback(req: FeedbackRequest, feedback: Annotated[FeedbackStore, Depends(get_feedback)]) -> dict[str, Any]:
    fid = feedback.add(req.model_dump())
    return {"id": fid, "stored": True}
