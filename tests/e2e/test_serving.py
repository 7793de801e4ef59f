"""Serving under abuse: bounded work per request, limits that can't be dodged, readiness that bad input can't move.

Each test asserts a contract on its own input (never a gold answer) and none asserts a duration: timing lives in
bench/http_load.py.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bot import budget
from bot.answer.llm import make_llm_answerer
from bot.embed import FifoLock, HashEmbedder, OpenAIEmbedder, QueryVectors
from bot.pipeline import ReportQA
from bot.retrieve.hybrid import RetrievalParams, bm25_decisive
from bot.server import ops as server_module
from bot.server.app import create_app
from bot.server.chat import MAX_HISTORY_CHARS, MAX_TURN_CHARS, MAX_TURNS
from bot.server.httpserver import HTTP_PROTOCOL, uvicorn_options
from bot.server.ratelimit import MemoryRateLimiter, RateLimiter, SQLiteRateLimiter, client_key, make_rate_limiter
from bot.settings import Settings
from bot.store import IndexHandle
from bot.types import HistoryTurn
from ingest.index import ingest
from tests.conftest import NEUTRAL_DIR, NEUTRAL_FACT, NEUTRAL_Q, REPO, assert_error, build_neutral
from tests.e2e.test_faults import FailingQueryEmbedder
from tests.fake_openai import ScriptedOpenAI, block_with, serve

Q = NEUTRAL_Q


def cites_the_fact(messages: list[dict[str, Any]]) -> str:
    """The scripted model's answer to Q: the fixture's fact, citing the block that holds it."""
    n = (block_with(messages, NEUTRAL_FACT) or (1, ""))[0]
    return f"红塔区人社局2022年办理{NEUTRAL_FACT}[{n}]。"


class RecordingEmbedder(HashEmbedder):
    """A HashEmbedder that remembers every query text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)


@pytest.fixture(scope="module")
def built(neutral_index: Settings) -> Settings:
    return neutral_index


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
            while lock.waiting < i + 1:  # each waiter queued before the next one starts
                threading.Event().wait(0.001)
    for t in threads:
        t.join(timeout=30)
    assert order == [0, 1, 2, 3, 4]


def test_a_long_history_never_reaches_the_embedder_whole(built: Settings) -> None:
    emb = RecordingEmbedder()
    qa = ReportQA(
        IndexHandle(built.index_dir, built),
        emb,
        retrieval=RetrievalParams(query_chars=96, dense_skip=False),
    )
    qa.ask("那2021年呢？", [HistoryTurn(role="user", content=Q + "请详细说明。" * 600)])
    assert emb.queries and max(len(q) for q in emb.queries) <= 96


@pytest.mark.parametrize(
    "history",
    [
        [{"role": "user", "content": "问" * 20_000}],
        [{"role": "user", "content": "问" * (MAX_TURN_CHARS + 1)}],
        [{"role": "assistant", "content": "a" * (MAX_TURN_CHARS - 1)}] * (MAX_HISTORY_CHARS // MAX_TURN_CHARS + 1),
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


# --------------------------------------------------------------------------------------------- limits on input
def test_a_chunked_body_over_the_limit_is_a_413(built: Settings) -> None:
    c = client_for(built, max_body_bytes=10_000)

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(30):
            yield "问".encode() * 1000
        yield b'"}'

    r = c.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 413, "payload_too_large")
    small = json.dumps({"question": Q}).encode()
    assert c.post("/api/chat", content=iter([small]), headers={"Content-Type": "application/json"}).status_code == 200


def test_a_chunked_body_over_the_limit_is_a_413_from_a_real_server(built: Settings) -> None:
    settings = built.model_copy(update={"max_body_bytes": 64_000})
    app = create_app(settings, qa=ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder()))
    with serve(app, http=HTTP_PROTOCOL) as url:
        body = b'{"question": "' + "问".encode() * 100_000 + b'"}'  # 300 kB, sent without a Content-Length
        r = httpx.post(f"{url}/api/chat", content=iter([body[i : i + 8192] for i in range(0, len(body), 8192)]))
        assert_error(r, 413, "payload_too_large")


# lone surrogates where each part of a request can carry one
SURROGATES = [
    ("/api/chat", '{"question": "白云区\\ud800人社局"}'),
    ("/api/chat", '{"question": "{Q}", "history": [{"role": "user", "content": "\\ud800"}]}'),
    # a follow-up takes its topic from the turn before: the surrogate would reach the embedder
    ("/api/chat", '{"question": "那2021年呢？", "history": [{"role": "user", "content": "{Q}\\ud800"}]}'),
    ("/api/chat", '{"question": "{Q}", "filters": {"report_ids": ["\\udfff"]}}'),
    ("/api/chat", '{"question": "{Q}", "stream": true, "history": [{"role": "user", "content": "\\ud800"}]}'),
    ("/v1/chat/completions", '{"model": "reportqa", "messages": [{"role": "user", "content": "\\ud800?"}]}'),
    (
        "/api/feedback",
        '{"rating": "up", "question": "q", "answer": "a", "citations": [{"report_id": "r", "source": "s", '
        '"title": "t", "section": [], "quote": "\\ud800", "start": 0, "end": 1}]}',
    ),
]
SURROGATE_IDS = ["question", "history", "follow-up-history", "report-ids", "stream", "v1", "feedback-citation"]


@pytest.mark.parametrize(("path", "raw"), SURROGATES, ids=SURROGATE_IDS)
def test_a_lone_surrogate_anywhere_is_a_400_and_readiness_does_not_move(built: Settings, path: str, raw: str) -> None:
    c = client_for(built)
    before = c.get("/readyz")
    assert before.status_code == 200
    r = c.post(path, content=raw.replace("{Q}", Q).encode(), headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_unicode")
    assert "surrogate" in r.json()["error"]["message"]
    after = c.get("/readyz")
    assert after.status_code == 200 and after.json() == before.json()


def test_readiness_is_the_same_after_input_that_would_break_the_embedder(built: Settings) -> None:
    path, raw = SURROGATES[SURROGATE_IDS.index("follow-up-history")]  # whatever the request is answered
    c = client_for(built)
    before = c.get("/readyz")
    c.post(path, content=raw.replace("{Q}", Q).encode(), headers={"Content-Type": "application/json"})
    after = c.get("/readyz")
    assert before.status_code == after.status_code == 200 and after.json() == before.json()


def test_bad_utf8_and_bad_percent_escapes_are_400s(built: Settings) -> None:
    c = client_for(built)
    r = c.post("/api/chat", content=b'{"question": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert "UTF-8" in assert_error(r, 400, "invalid_unicode")["message"]
    assert_error(c.get("/api/reports/%ff%fe"), 400, "invalid_unicode")
    assert_error(c.get("/api/reports/x/passage?start=%ed%a0%80&end=1"), 400, "invalid_unicode")


def test_a_surrogate_pair_is_valid_unicode_and_answered(built: Settings) -> None:
    c = client_for(built)
    raw = '{"question": "{Q}\\ud83d\\ude00"}'  # an emoji, escaped as JSON escapes it
    r = c.post("/api/chat", content=raw.replace("{Q}", Q).encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["answer"]


def test_uvicorns_own_400_has_the_error_shape(built: Settings) -> None:
    app = create_app(built, qa=ReportQA(IndexHandle(built.index_dir, built), HashEmbedder()))
    with serve(app, http=HTTP_PROTOCOL) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head.lower()
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"} and error["code"] == "bad_request"


# --------------------------------------------------------------------------------------------- readiness
def test_readiness_probes_the_embedder_not_the_last_request(built: Settings) -> None:
    emb = FailingQueryEmbedder()
    emb.down = False
    c = client_for(built, emb)
    assert c.get("/readyz").status_code == 200
    emb.down = True  # down with no request made since: readiness still sees it
    ready = c.get("/readyz")
    assert ready.status_code == 503 and "connection refused" in ready.json()["degraded"]
    emb.down = False
    assert c.get("/readyz").status_code == 200


# --------------------------------------------------------------------------------------------- rate limits
def test_keys_that_share_a_prefix_have_their_own_buckets(built: Settings) -> None:
    alpha, beta = "sk-test-key-alpha-0001", "sk-test-key-beta-0002"
    c = client_for(built, mode="production", api_keys=[alpha, beta], rate_limit_per_minute=2)
    as_alpha, as_beta = ({"Authorization": f"Bearer {k}"} for k in (alpha, beta))
    assert [c.get("/api/reports", headers=as_alpha).status_code for _ in range(3)] == [200, 200, 429]
    assert c.get("/api/reports", headers=as_beta).status_code == 200


def test_a_bucket_is_a_hash_of_the_whole_key_and_the_key_is_never_stored(tmp_path: Path) -> None:
    a, b = client_key("key", "sk-test-key-alpha-0001"), client_key("key", "sk-test-key-beta-0002")
    assert a != b and a.startswith("key:") and len(a) == 4 + 64
    limiter = SQLiteRateLimiter(tmp_path / "rl.sqlite3", per_minute=5)
    assert limiter.allow(a) == (True, 0)
    limiter.close()
    stored = b"".join(f.read_bytes() for f in tmp_path.iterdir())
    assert b"sk-test-key-alpha" not in stored


def test_sqlite_limits_are_shared_by_processes(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "ratelimit.sqlite3"
    here = SQLiteRateLimiter(path, per_minute=3)
    assert here.allow("ip:10.0.0.7")[0] and here.allow("ip:10.0.0.7")[0]
    code = (
        "import sys; from pathlib import Path; from bot.server.ratelimit import SQLiteRateLimiter\n"
        "rl = SQLiteRateLimiter(Path(sys.argv[1]), per_minute=3)\n"
        "print([rl.allow('ip:10.0.0.7')[0] for _ in range(2)], rl.allow('ip:10.0.0.8')[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[True, False] True"  # the other process saw this one's two requests
    ok, wait = here.allow("ip:10.0.0.7")
    assert not ok and 1 <= wait <= 61


def test_the_default_store_is_the_shared_sqlite_file_in_the_cache_folder(make_settings: Any) -> None:
    settings = make_settings(rate_limit_store="sqlite")
    limiter = make_rate_limiter(settings)
    assert isinstance(limiter, SQLiteRateLimiter) and limiter.path.parent == settings.cache_dir
    assert isinstance(make_rate_limiter(make_settings(rate_limit_store="memory")), MemoryRateLimiter)
    assert Settings.model_fields["rate_limit_store"].default == "sqlite"
    assert isinstance(limiter, RateLimiter)


@pytest.mark.parametrize("trusted", [[], ["127.0.0.1"]], ids=["no-proxy-trusted", "loopback-proxy-trusted"])
def test_forwarded_for_counts_only_from_a_trusted_proxy(built: Settings, trusted: list[str]) -> None:
    settings = built.model_copy(update={"trusted_proxies": trusted, "rate_limit_per_minute": 3})
    app = create_app(settings, qa=ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder()))
    with serve(app, **uvicorn_options(settings)) as url:
        rotating = [httpx.get(f"{url}/api/reports", headers={"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(5)]
        same = [httpx.get(f"{url}/api/reports", headers={"X-Forwarded-For": "198.51.100.9"}) for _ in range(4)]
    codes = [r.status_code for r in rotating], [r.status_code for r in same]
    if trusted:  # each forwarded address is its own client
        assert codes == ([200] * 5, [200, 200, 200, 429])
    else:  # every request comes from 127.0.0.1, whatever the header says
        assert codes == ([200, 200, 200, 429, 429], [429] * 4)


# --------------------------------------------------------------------------------------------- time budget
def test_a_spent_budget_answers_from_bm25_with_a_reason(built: Settings) -> None:
    emb = RecordingEmbedder()
    qa = ReportQA(IndexHandle(built.index_dir, built), emb, retrieval=RetrievalParams(dense_skip=False), budget_s=10.0)
    with budget.opened(10.0) as spent:
        assert spent is not None
        spent.deadline = time.monotonic() - 1  # as if the request had waited its budget out
        ans = qa.ask(Q)
    assert emb.queries == []  # no dense query once the budget is spent
    assert NEUTRAL_FACT in ans.answer and ans.mode == "extractive"
    assert ans.reason and "time budget" in ans.reason and "BM25 alone" in ans.reason
    assert "time budget" not in (qa.ask(Q).reason or "")  # a fresh request has its own budget


def test_a_spent_budget_never_calls_the_llm(built: Settings) -> None:
    server = ScriptedOpenAI(cites_the_fact)
    with serve(server.app) as url:
        settings = built.model_copy(update={"llm_base_url": url + "/v1", "llm_model": "scripted", "llm_timeout": 10.0})
        qa = ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder(), llm=make_llm_answerer(settings))
        with budget.opened(10.0) as spent:
            assert spent is not None
            spent.deadline = time.monotonic() - 1
            ans = qa.ask(Q)
        assert server.requests == [] and ans.mode == "extractive" and "LLM was not asked" in (ans.reason or "")
        assert qa.ask(Q).mode == "generative" and server.requests  # with time left, the LLM answers


def test_a_waiter_leaves_the_fifo_queue_when_its_wait_runs_out() -> None:
    lock = FifoLock()
    outcome: list[str] = []

    def impatient() -> None:
        try:
            with lock.hold(timeout=0.01):
                outcome.append("held")
        except TimeoutError:
            outcome.append("gave up")

    with lock.hold():
        t = threading.Thread(target=impatient)
        t.start()
        t.join(timeout=30)
        assert outcome == ["gave up"] and lock.waiting == 0
    with lock.hold(timeout=0.01):  # and the lock is free again once its holder is done
        outcome.append("held")
    assert outcome == ["gave up", "held"]


# --------------------------------------------------------------------------------------------- dense skip
def test_bm25_is_decisive_only_when_its_best_hit_stands_out(built: Settings) -> None:
    data = IndexHandle(built.index_dir, built).get()
    rid = data.chunks[0].report_id
    same = [i for i, c in enumerate(data.chunks) if c.report_id == rid][:3]
    other = next(i for i, c in enumerate(data.chunks) if c.report_id != rid)
    assert bm25_decisive(data, [(same[0], 10.0), (same[1], 3.9)])  # 2.5 times the next chunk
    assert not bm25_decisive(data, [(same[0], 10.0), (same[1], 5.0), (other, 7.2)])  # another report is close
    assert bm25_decisive(data, [(same[0], 10.0), (same[1], 5.0), (other, 7.0)])  # 1.4 times any other report
    assert not bm25_decisive(data, [(same[0], 10.0), (same[1], 9.0)])  # one report, no chunk standing out
    assert not bm25_decisive(data, [(same[0], 10.0)])


def test_the_dense_query_is_skipped_only_when_bm25_is_decisive(built: Settings) -> None:
    emb = RecordingEmbedder()
    handle = IndexHandle(built.index_dir, built)
    qa = ReportQA(handle, emb)
    questions = [Q, "嘉定区人社局2023年办了多少行政复议和应诉案件？", "法治宣传", "依法行政"]
    for q in questions:
        before = len(emb.queries)
        hits = qa.retriever.retrieve(q)
        ranking = qa.retriever.bm25_ranking(handle.get(), q, None)
        skipped = len(emb.queries) == before
        assert skipped == bm25_decisive(handle.get(), ranking), q
        assert all(h.ranks.get("dense") is None for h in hits) or not skipped
    always = ReportQA(handle, emb, retrieval=RetrievalParams(dense_skip=False))
    before = len(emb.queries)
    for q in questions:
        always.retriever.retrieve(q + "？")  # (a new text: not in the LRU)
    assert len(emb.queries) == before + len(questions)


ANSWERED = "红塔区人社局2022年办了多少行政复议案件？"  # answered from BM25's hits, which are not decisive
REFUSED = "红塔区人社局2022年组织了多少场篮球比赛？"  # a report covers the place and year; no sentence answers


@pytest.mark.parametrize("streamed", [False, True], ids=["ask", "stream"])
def test_an_extractive_answer_makes_the_dense_query_only_to_retry_a_refusal(built: Settings, streamed: bool) -> None:
    emb = RecordingEmbedder()
    handle = IndexHandle(built.index_dir, built)
    qa = ReportQA(handle, emb)

    def ask(q: str) -> Any:
        return list(qa.stream(q))[-1][1] if streamed else qa.ask(q)

    data = handle.get()
    assert not bm25_decisive(data, qa.retriever.bm25_ranking(data, ANSWERED, None))  # not skipped for that
    ans = ask(ANSWERED)
    assert "73件" in ans.answer and emb.queries == []
    assert all(c.score > 0 for c in ans.contexts)
    ans = ask(REFUSED)
    assert not ans.answerable and len(emb.queries) == 1 and qa.dense_retries == 1  # retried with the dense query
    ans = ask("黄埔区人社局2023年办了多少行政复议案件？")  # refused on metadata: no retry can change that
    assert not ans.answerable and len(emb.queries) == 1
    always = ReportQA(handle, emb, retrieval=RetrievalParams(dense_skip=False))
    assert "73件" in always.ask(ANSWERED).answer and len(emb.queries) == 2


def test_the_llm_is_given_the_dense_hits_at_once(built: Settings, scripted_llm: tuple[ScriptedOpenAI, str]) -> None:
    settings = built.model_copy(update={"llm_base_url": scripted_llm[1], "llm_model": "scripted"})
    emb = RecordingEmbedder()
    qa = ReportQA(IndexHandle(settings.index_dir, settings), emb, llm=make_llm_answerer(settings))
    qa.ask("行政复议和应诉做得怎么样？")  # no report named; BM25 is not decisive for it
    assert len(emb.queries) == 1  # one retrieval, with the dense query: there is no extractive retry to wait for


# --------------------------------------------------------------------------------------------- workers
def test_serve_runs_a_worker_per_core_up_to_two_and_each_warms_up(tmp_path: Path) -> None:
    assert Settings(_env_file=None).workers == min(2, os.cpu_count() or 1)  # type: ignore[call-arg]
    emb = RecordingEmbedder()
    settings = build_neutral(tmp_path)  # an index of its own: no suggestions made for it yet
    qa = ReportQA(
        IndexHandle(settings.index_dir, settings), emb, retrieval=RetrievalParams(dense_skip=False)
    )  # every question embedded
    with TestClient(create_app(settings, qa=qa)) as client:
        # the startup has loaded the index, probed the embedder and tried the suggested questions
        assert emb.queries[0] == server_module.PROBE_TEXT
        made = list(emb.queries)
        suggestions = client.get("/api/config").json()["suggestions"]
    assert suggestions and set(suggestions[1:]) <= set(made)  # the first one, about the catalogue, needs no search


def test_the_widgets_history_always_fits_the_servers_caps() -> None:
    js = (REPO / "bot" / "server" / "static" / "widget.js").read_text(encoding="utf-8")
    turns = int(re.search(r"var MAX_HISTORY_TURNS = (\d+);", js).group(1))  # type: ignore[union-attr]
    chars = int(re.search(r"var MAX_TURN_CHARS = (\d+);", js).group(1))  # type: ignore[union-attr]
    assert turns <= MAX_TURNS and chars <= MAX_TURN_CHARS and turns * chars <= MAX_HISTORY_CHARS


@pytest.mark.parametrize("streamed", [False, True], ids=["ask", "stream"])
def test_the_llm_call_is_bounded_by_what_is_left_of_the_budget(built: Settings, streamed: bool) -> None:
    server = ScriptedOpenAI(cites_the_fact)
    server.hold = threading.Event()  # the model answers only once the test lets it: past any budget
    with serve(server.app) as url:
        settings = built.model_copy(update={"llm_base_url": url + "/v1", "llm_model": "scripted", "llm_timeout": 30.0})
        llm = make_llm_answerer(settings)
        qa = ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder(), llm=llm, budget_s=1.0)
        try:
            ans = list(qa.stream(Q))[-1][1] if streamed else qa.ask(Q)
            assert server.requests and server.replied == 0  # answered while the model still held its reply
        finally:
            server.hold.set()
    assert ans.mode == "extractive" and NEUTRAL_FACT in ans.answer
    assert "Timeout" in (ans.reason or "")  # the LLM call gave up when the budget did, not after llm_timeout


def test_a_remote_embedder_is_waited_for_only_as_long_as_the_budget(tmp_path: Path) -> None:
    server = ScriptedOpenAI()
    with serve(server.app) as url:
        settings = Settings(_env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")  # type: ignore[call-arg]
        remote = OpenAIEmbedder(url + "/v1", "scripted", None)
        ingest([NEUTRAL_DIR], settings, remote)
        server.embed_asked.clear()
        server.embed_hold = threading.Event()  # now the endpoint answers a query only once the test lets it
        qa = ReportQA(
            IndexHandle(settings.index_dir, settings), remote, retrieval=RetrievalParams(dense_skip=False), budget_s=1.0
        )
        try:
            ans = qa.ask(Q)
            assert server.embed_asked.is_set()  # the query's vector was asked for, and not waited for
        finally:
            server.embed_hold.set()
    assert NEUTRAL_FACT in ans.answer  # answered from BM25
    assert ans.reason and "time budget" in ans.reason and "BM25 alone" in ans.reason
