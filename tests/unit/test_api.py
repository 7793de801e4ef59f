"""The HTTP API through TestClient (the official clients through a real uvicorn: tests/e2e/test_api_live.py).

It runs on the neutral fixture (tests/fixtures/neutral) and asserts the contract: status, shapes, citations
that slice the file, the fixture's own facts; gold answers of the sample reports belong to the eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from bot.embed import HashEmbedder
from bot.errors import ConfigError
from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.server.feedback import FeedbackStore
from bot.settings import Settings
from bot.store import IndexHandle
from tests.conftest import NEUTRAL_FACT, NEUTRAL_Q, NEUTRAL_SOURCE, assert_error, neutral_text

Q = NEUTRAL_Q
ORIGIN = "http://intranet.example"


@pytest.fixture(scope="module")
def built(neutral_index: Settings) -> tuple[Settings, ReportQA]:
    settings = neutral_index
    return settings, ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder())


def app_with(built: tuple[Settings, ReportQA], **overrides: Any) -> TestClient:
    settings, qa = built
    return TestClient(create_app(settings.model_copy(update=overrides), qa=qa))


@pytest.fixture
def client(built: tuple[Settings, ReportQA]) -> TestClient:
    return app_with(built)


def sse_events(text: str) -> list[tuple[str, Any]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((lines["event"], json.loads(lines["data"])))
    return out


# --------------------------------------------------------------------------------------------- chat
def test_chat_returns_the_answer_contract_with_citations_that_slice_the_file(client: TestClient) -> None:
    r = client.post("/api/chat", json={"question": Q})
    assert r.status_code == 200
    body = r.json()
    assert body["answerable"] is True and body["mode"] == "extractive" and NEUTRAL_FACT in body["answer"]
    c = body["citations"][0]
    assert c["source"] == NEUTRAL_SOURCE and NEUTRAL_FACT in c["quote"]
    assert neutral_text(c["source"])[c["start"] : c["end"]] == c["quote"]
    assert body["contexts"] and {"source", "start", "end", "score"} <= set(body["contexts"][0])


def test_chat_streams_delta_citations_done_events(client: TestClient) -> None:
    r = client.post("/api/chat", json={"question": Q, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "delta" and kinds[-2:] == ["citations", "done"]
    streamed = "".join(d["text"] for k, d in events if k == "delta")
    assert streamed == events[-1][1]["answer"]
    assert events[-2][1]["citations"] == events[-1][1]["citations"]


def test_accept_header_alone_selects_streaming(client: TestClient) -> None:
    r = client.post("/api/chat", json={"question": Q}, headers={"Accept": "text/event-stream"})
    assert [k for k, _ in sse_events(r.text)][-1] == "done"


def test_follow_up_uses_the_history(client: TestClient) -> None:
    history = [{"role": "user", "content": Q}, {"role": "assistant", "content": "73件。"}]
    follow = client.post("/api/chat", json={"question": "那柯桥区呢？", "history": history}).json()
    assert "58件" in follow["answer"]  # keqiao_2021's count, asked with the topic of the turn before
    assert {c["report_id"] for c in follow["citations"]} == {"keqiao_2021"}
    alone = client.post("/api/chat", json={"question": "那柯桥区呢？"}).json()
    assert "58件" not in alone["answer"]  # without the history there is no topic


def test_filters_restrict_to_the_named_reports(client: TestClient) -> None:
    question = "办理了多少件行政复议案件？"
    for rid in ("keqiao_2021", "hongta_2022"):
        cits = client.post("/api/chat", json={"question": question, "filters": {"report_ids": [rid]}}).json()
        assert cits["citations"] and {c["report_id"] for c in cits["citations"]} == {rid}


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"question": ""}, 400, "bad_request"),
        ({"question": "   \n\t "}, 400, "bad_request"),
        ({"question": "\u0000\u0001\u0002"}, 400, "bad_request"),
        ({"question": "问" * 5000}, 400, "bad_request"),
        ({"question": 42}, 422, "invalid_request"),
        ({"question": Q, "history": "not a list"}, 422, "invalid_request"),
        ({"question": Q, "history": [{"role": "hacker", "content": "x"}]}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"question": Q, "filters": {"report_ids": ["no-such-report"]}}, 400, "bad_request"),
    ],
)
def test_bad_chat_input_gets_a_clear_4xx(client: TestClient, payload: Any, status: int, code: str) -> None:
    assert_error(client.post("/api/chat", json=payload), status, code)


def test_malformed_json_is_a_400(client: TestClient) -> None:
    err = assert_error(
        client.post("/api/chat", content=b'{"question": ', headers={"Content-Type": "application/json"}), 400
    )
    assert "JSON" in err["message"]


def test_streaming_bad_input_is_a_plain_4xx_not_a_stream(client: TestClient) -> None:
    assert_error(client.post("/api/chat", json={"question": "", "stream": True}), 400, "bad_request")


def test_emoji_and_control_characters_get_an_answer_not_an_error(client: TestClient) -> None:
    r = client.post("/api/chat", json={"question": "😀红塔区人社局\u00072022年办理了多少件行政复议案件？🙏"})
    assert r.status_code == 200 and r.json()["answer"]


# --------------------------------------------------------------------------------------------- reports
def test_reports_list_and_section_tree(client: TestClient) -> None:
    reports = client.get("/api/reports").json()["reports"]
    assert len(reports) == 2 and {"report_id", "title", "region", "years"} <= set(reports[0])
    one = client.get(f"/api/reports/{reports[0]['report_id']}").json()
    assert one["sections"] and {"path", "start", "end"} == set(one["sections"][0])


def test_passage_shows_the_quote_inside_its_section(client: TestClient) -> None:
    c = client.post("/api/chat", json={"question": Q}).json()["citations"][0]
    p = client.get(f"/api/reports/{c['report_id']}/passage", params={"start": c["start"], "end": c["end"]}).json()
    assert p["quote"] == c["quote"]
    assert p["section_text"][p["start"] - p["section_start"] : p["end"] - p["section_start"]] == c["quote"]
    assert p["section"] == c["section"]


def test_unknown_report_and_bad_offsets_are_clear_errors(client: TestClient) -> None:
    assert_error(client.get("/api/reports/nope"), 404, "not_found")
    assert_error(client.get("/api/reports/nope/passage", params={"start": 0, "end": 5}), 404, "not_found")
    rid = client.get("/api/reports").json()["reports"][0]["report_id"]
    assert_error(client.get(f"/api/reports/{rid}/passage", params={"start": 9, "end": 3}), 400, "bad_request")
    assert_error(client.get(f"/api/reports/{rid}/passage", params={"start": 0, "end": 10**9}), 400)
    assert_error(client.get(f"/api/reports/{rid}/passage", params={"start": "x", "end": 3}), 422)


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "not_found")


# --------------------------------------------------------------------------------------------- feedback
def test_feedback_is_stored_with_question_answer_and_citations(
    client: TestClient, built: tuple[Settings, ReportQA]
) -> None:
    ans = client.post("/api/chat", json={"question": Q}).json()
    store = FeedbackStore(built[0].feedback_db)
    before = store.count()
    r = client.post(
        "/api/feedback",
        json={
            "rating": "down",
            "question": Q,
            "answer": ans["answer"],
            "citations": ans["citations"],
            "comment": "不准",
        },
    )
    assert r.status_code == 201 and r.json()["stored"] is True
    rows = store.all()
    assert store.count() == before + 1
    assert rows[-1]["comment"] == "不准" and rows[-1]["citations"][0]["quote"] == ans["citations"][0]["quote"]
    assert_error(client.post("/api/feedback", json={"rating": "meh", "question": Q, "answer": "x"}), 422)


# --------------------------------------------------------------------------------------------- health
def test_health_and_readiness(client: TestClient, tmp_path: Path, built: tuple[Settings, ReportQA]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["ready"] is True
    empty = Settings(_env_file=None, index_dir=tmp_path / "none", feedback_db=tmp_path / "f.db")  # type: ignore[call-arg]
    no_index = TestClient(create_app(empty, qa=ReportQA(IndexHandle(empty.index_dir, empty), HashEmbedder())))
    r = no_index.get("/readyz")
    assert r.status_code == 503 and r.json()["ready"] is False and "python -m ingest" in r.json()["error"]
    assert_error(no_index.post("/api/chat", json={"question": Q}), 503, "index_not_found")


# --------------------------------------------------------------------------------------------- security
def test_production_mode_requires_api_keys(built: tuple[Settings, ReportQA]) -> None:
    with pytest.raises(ConfigError, match="API_KEYS"):
        create_app(built[0].model_copy(update={"mode": "production", "api_keys": []}), qa=built[1])


def test_api_keys_are_enforced_when_configured(built: tuple[Settings, ReportQA]) -> None:
    c = app_with(built, mode="production", api_keys=["secret-1"])
    assert_error(c.post("/api/chat", json={"question": Q}), 401, "unauthorized")
    assert_error(c.post("/api/chat", json={"question": Q}, headers={"Authorization": "Bearer wrong"}), 401)
    assert c.post("/api/chat", json={"question": Q}, headers={"Authorization": "Bearer secret-1"}).status_code == 200
    assert_error(c.get("/v1/models"), 401)
    assert c.get("/healthz").status_code == 200  # health stays open for load balancers


def test_widget_key_only_works_from_allowed_origins(built: tuple[Settings, ReportQA]) -> None:
    c = app_with(built, mode="production", api_keys=["secret-1"], widget_key="pk_demo", allowed_origins=[ORIGIN])
    ok = c.post("/api/chat", json={"question": Q}, headers={"X-Widget-Key": "pk_demo", "Origin": ORIGIN})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ORIGIN
    bad_origin = {"X-Widget-Key": "pk_demo", "Origin": "http://evil.example"}
    assert_error(c.post("/api/chat", json={"question": Q}, headers=bad_origin), 403, "forbidden_origin")
    assert_error(c.post("/api/chat", json={"question": Q}, headers={"X-Widget-Key": "pk_x", "Origin": ORIGIN}), 401)
    # the public key does not open the OpenAI-compatible API
    headers = {"X-Widget-Key": "pk_demo", "Origin": ORIGIN}
    assert_error(c.get("/v1/models", headers=headers), 403, "forbidden")


def test_cors_preflight_allows_only_listed_origins(built: tuple[Settings, ReportQA]) -> None:
    c = app_with(built, allowed_origins=[ORIGIN])
    pre = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-widget-key"}
    assert c.options("/api/chat", headers=pre).headers.get("access-control-allow-origin") == ORIGIN
    evil = {**pre, "Origin": "http://evil.example"}
    assert "access-control-allow-origin" not in c.options("/api/chat", headers=evil).headers


def test_rate_limit_answers_429_with_retry_after(built: tuple[Settings, ReportQA]) -> None:
    c = app_with(built, rate_limit_per_minute=3)
    codes = [c.get("/api/reports").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = c.get("/api/reports")
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) >= 1


def test_oversized_body_is_refused_before_reading(built: tuple[Settings, ReportQA]) -> None:
    c = app_with(built, max_body_bytes=1000)
    assert_error(c.post("/api/chat", json={"question": "问" * 2000}), 413, "payload_too_large")


# --------------------------------------------------------------------------------------------- OpenAI-compatible
def test_v1_models_lists_the_bot(client: TestClient) -> None:
    assert client.get("/v1/models").json()["data"][0]["id"] == "reportqa"


def test_v1_completion_carries_citations_in_the_message_and_a_header(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={"model": "reportqa", "messages": [{"role": "user", "content": Q}]})
    body = r.json()
    msg = body["choices"][0]["message"]
    assert msg["role"] == "assistant" and "[1]" in msg["content"] and NEUTRAL_FACT in msg["content"]
    assert msg["citations"][0]["quote"] and body["citations"] == msg["citations"]
    assert json.loads(unquote(r.headers["x-reportqa-citations"])) == msg["citations"]


def test_v1_needs_a_user_message_last(client: TestClient) -> None:
    payload = {"model": "reportqa", "messages": [{"role": "user", "content": Q}, {"role": "assistant", "content": "x"}]}
    assert_error(client.post("/v1/chat/completions", json=payload), 400, "bad_request")
    assert_error(client.post("/v1/chat/completions", json={"model": "reportqa", "messages": []}), 422)
