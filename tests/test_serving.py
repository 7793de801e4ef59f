"""Serving under abuse: bounded work per request, limits that can't be dodged, readiness that bad input can't move.

Each test asserts a contract on its own input (never a gold answer) and none asserts a duration: timing lives in
bench/http_load.py.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.embed import FifoLock, HashEmbedder, QueryVectors
from bot.pipeline import ReportQA
from bot.server import MAX_HISTORY_CHARS, MAX_TURN_CHARS, MAX_TURNS, create_app
from bot.settings import Settings
from bot.store import IndexHandle
from bot.types import HistoryTurn
from ingest.index import ingest
from tests.conftest import SAMPLES_DIR, assert_error

Q = "白云区人社局2020年行政机关负责人出庭应诉了几件？"


class RecordingEmbedder(HashEmbedder):
    """A HashEmbedder that remembers every query text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("serving")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, index_dir=root / "index", cache_dir=root / "cache", feedback_db=root / "fb.sqlite3"
    )
    ingest([SAMPLES_DIR], settings, HashEmbedder())
    return settings


def client_for(settings: Settings, embedder: HashEmbedder | None = None, **overrides: Any) -> TestClient:
    settings = settings.model_copy(update=overrides)
    qa = ReportQA(IndexHandle(settings.index_dir, settings), embedder or HashEmbedder())
    return TestClient(create_app(settings, qa=qa))


# --------------------------------------------------------------------------------------------- bounded work
def test_query_vectors_cut_the_text_before_the_embedder() -> None:
    emb = RecordingEmbedder()
    vectors = QueryVectors(emb, max_chars=96)
    vectors(Q + " " + "问" * 20_000)
    assert len(emb.queries) == 1 and len(emb.queries[0]) == 96 and emb.queries[0].startswith(Q)


def test_query_vectors_are_cached_by_normalised_text_and_evicted_oldest_first() -> None:
    emb = RecordingEmbedder()
    vectors = QueryVectors(emb, max_chars=96, size=2)
    first = vectors(Q)
    assert vectors(f"  {Q}\n") == first and vectors(Q) == first and emb.queries == [Q]
    assert vectors("白云区 人社局") == vectors("白云区\n\t 人社局 ") and emb.queries[-1] == "白云区 人社局"
    assert len(emb.queries) == 2
    vectors(Q)
    vectors("甲乙")  # the cache holds two: "白云区 人社局", the least recently used, is evicted
    vectors(Q)
    vectors("白云区 人社局")
    assert emb.queries == [Q, "白云区 人社局", "甲乙", "白云区 人社局"]


def test_fifo_lock_hands_itself_to_waiters_in_arrival_order() -> None:
    lock = FifoLock()
    order: list[int] = []

    def wait_then_record(i: int) -> None:
        with lock.hold():
            order.append(i)

    threads = []
    with lock.hold():
        for i in range(5):
            t = threading.Thread(target=wait_then_record, args=(i,))
            t.start()
            threads.append(t)
            while len(lock._waiters) < i + 1:  # each waiter queued before the next one starts
                threading.Event().wait(0.001)
    for t in threads:
        t.join(timeout=30)
    assert order == [0, 1, 2, 3, 4]


def test_a_long_history_never_reaches_the_embedder_whole(built: Settings) -> None:
    emb = RecordingEmbedder()
    qa = ReportQA(IndexHandle(built.index_dir, built), emb, query_chars=96)
    qa.ask("那2021年呢？", [HistoryTurn(role="user", content=Q + "请详细说明。" * 600)])
    assert emb.queries and max(len(q) for q in emb.queries) <= 96


@pytest.mark.parametrize(
    "history",
    [
        [{"role": "user", "content": "问" * 20_000}],
        [{"role": "user", "content": "问" * (MAX_TURN_CHARS + 1)}],
        [{"role": "assistant", "content": "答" * (MAX_TURN_CHARS - 1)}] * (MAX_HISTORY_CHARS // MAX_TURN_CHARS + 1),
        [{"role": "user", "content": "问"}] * (MAX_TURNS + 1),
    ],
    ids=["20k-turn", "turn-over-cap", "history-over-cap", "too-many-turns"],
)
def test_history_past_the_caps_is_a_422_with_the_error_shape(built: Settings, history: list[dict[str, str]]) -> None:
    emb = RecordingEmbedder()
    c = client_for(built, emb)
    assert_error(c.post("/api/chat", json={"question": Q, "history": history}), 422, "invalid_request")
    messages = [*history, {"role": "user", "content": Q}]
    assert_error(c.post("/v1/chat/completions", json={"model": "reportqa", "messages": messages}), 422)
    assert emb.queries == []  # refused before any work was done for it


def test_history_within_the_caps_is_answered(built: Settings) -> None:
    c = client_for(built)
    history = [{"role": "user", "content": Q + "。" * (MAX_TURN_CHARS - len(Q) - 1)}]
    r = c.post("/api/chat", json={"question": "那2021年呢？", "history": history})
    assert r.status_code == 200 and r.json()["answer"]
