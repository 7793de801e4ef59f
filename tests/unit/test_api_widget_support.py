"""What the widget and OpenAI clients need from the server: GET /api/config (limits, suggested questions), the
server's own origin always allowed for its demo page (/v1/models/{id} and real token counts in `usage`, through
the openai client: tests/e2e/test_api_widget_support_live.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.settings import Settings
from bot.store import IndexHandle
from bot.text import places
from ingest.index import ingest
from tests.conftest import NEUTRAL_FACT, NEUTRAL_Q, UNSEEN_DIR

Q = NEUTRAL_Q
KEY = "pk_widget_support_test"
HOST = "http://intranet.example"


def built_over(root: Path, folder: Path) -> tuple[Settings, ReportQA]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, index_dir=root / "index", cache_dir=root / "cache", feedback_db=root / "fb.sqlite3"
    )
    ingest([folder], settings, HashEmbedder())
    return settings, ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder())


@pytest.fixture(scope="module")
def built(neutral_index: Settings) -> tuple[Settings, ReportQA]:
    return neutral_index, ReportQA(IndexHandle(neutral_index.index_dir, neutral_index), HashEmbedder())


def client_of(built: tuple[Settings, ReportQA], **overrides: Any) -> TestClient:
    settings, qa = built
    return TestClient(create_app(settings.model_copy(update=overrides), qa=qa))


# --------------------------------------------------------------------------------------------- /api/config
def test_config_gives_the_question_limit_and_questions_the_bot_answers(built: tuple[Settings, ReportQA]) -> None:
    client = client_of(built)
    body = client.get("/api/config").json()
    assert body["max_question_chars"] == built[1].max_question_chars == 2000
    assert body["max_body_bytes"] == 64_000
    suggestions = body["suggestions"]
    assert 2 <= len(suggestions) <= 4 and len(set(suggestions)) == len(suggestions)
    names = [r.meta.short_name.removesuffix("报告") for r in built[1].index.get().reports.values()]
    assert suggestions[0] == "现有的2份报告分别是哪一年的？"  # the catalogue
    assert all(any(q.startswith(n) for n in names) for q in suggestions[1:]), suggestions
    for q in suggestions:
        answer = client.post("/api/chat", json={"question": q}).json()
        assert answer["answerable"] and answer["citations"], (q, answer)


def test_suggestions_follow_the_ingested_reports_not_a_fixed_list(tmp_path: Path) -> None:
    settings, qa = built_over(tmp_path, UNSEEN_DIR)
    suggestions = TestClient(create_app(settings, qa=qa)).get("/api/config").json()["suggestions"]
    assert suggestions, "no suggestion for the unseen reports"
    text = "".join(suggestions)
    assert "坪山" in text or "徐汇" in text, suggestions
    assert "白云" not in text and "嘉定" not in text


@pytest.mark.parametrize("question", [None, "What do the reports say?", "请问？"], ids=["suggestions", "en", "vague"])
def test_example_questions_shown_to_users_name_only_the_indexed_reports_places(
    built: tuple[Settings, ReportQA], question: str | None
) -> None:
    """The suggestions, the request to ask in Chinese and the request to say more carry example questions: they
    come from the catalogue or are generic, never about a place of the sample reports."""
    client = client_of(built)
    if question is None:
        shown = "".join(client.get("/api/config").json()["suggestions"])
    else:
        body = client.post("/api/chat", json={"question": question}).json()
        assert body["answerable"] is False and "例如" in body["answer"]  # this reply does give an example
        shown = body["answer"]
    indexed = {n for r in built[1].index.get().reports.values() for n in r.meta.region.names()}
    assert set(places.mentions(shown, short_names=True)) <= indexed, shown


def test_widget_key_opens_config_from_an_allowed_origin_only(built: tuple[Settings, ReportQA]) -> None:
    client = client_of(built, widget_key=KEY, allowed_origins=[HOST], mode="production", api_keys=["sk_x"])
    ok = client.get("/api/config", headers={"X-Widget-Key": KEY, "Origin": HOST})
    assert ok.status_code == 200 and ok.json()["suggestions"]
    refused = client.get("/api/config", headers={"X-Widget-Key": KEY, "Origin": "http://evil.example"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_origin"
    assert client.get("/api/config").status_code == 401  # production: a key is still needed
    # the widget key opens nothing else it did not open before
    assert client.get("/v1/models", headers={"X-Widget-Key": KEY, "Origin": HOST}).status_code == 403


# --------------------------------------------------------------------------------------------- own origin
def test_the_servers_own_origin_is_allowed_for_its_demo_page(built: tuple[Settings, ReportQA]) -> None:
    client = client_of(built, widget_key=KEY, allowed_origins=[HOST])  # the allow-list leaves the server out
    own = {"X-Widget-Key": KEY, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    r = client.post("/api/chat", json={"question": Q}, headers=own)
    assert r.status_code == 200 and NEUTRAL_FACT in r.json()["answer"]
    # a same-origin GET carries no Origin header at all
    get = client.get("/api/reports", headers={"X-Widget-Key": KEY, "Sec-Fetch-Site": "same-origin"})
    assert get.status_code == 200 and len(get.json()["reports"]) == 2

    # without the browser's same-origin mark, an unlisted origin is still refused, with the same code
    bare = client.post("/api/chat", json={"question": Q}, headers={"X-Widget-Key": KEY, "Origin": "http://testserver"})
    assert bare.status_code == 403 and bare.json()["error"]["code"] == "forbidden_origin"
    cross = {"X-Widget-Key": KEY, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/chat", json={"question": Q}, headers=cross).status_code == 403
    wrong = {**own, "X-Widget-Key": "pk_wrong"}
    assert client.post("/api/chat", json={"question": Q}, headers=wrong).status_code == 401
