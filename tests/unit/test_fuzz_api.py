"""Fuzzing from the OpenAPI schema (schemathesis): no generated request makes the server answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.settings import Settings
from bot.store import IndexHandle
from ingest.index import ingest
from tests.conftest import SAMPLES_DIR


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> object:
    root = tmp_path_factory.mktemp("fuzz")
    cfg = Settings(  # type: ignore[call-arg]
        _env_file=None,
        index_dir=root / "index",
        cache_dir=root / "cache",
        feedback_db=root / "fb.sqlite3",
        rate_limit_per_minute=100_000,
    )
    ingest([SAMPLES_DIR], cfg, HashEmbedder())
    app = create_app(cfg, qa=ReportQA(IndexHandle(cfg.index_dir, cfg), HashEmbedder()))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_generated_request_gets_a_server_error(api_schema: schemathesis.schemas.BaseSchema) -> None:
    # Hypothesis drives each operation directly (schemathesis' pytest plugin does not support pytest 9 yet).
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            ctype = response.headers.get("content-type", "")
            if response.status_code >= 400 and "application/json" in str(ctype):
                body = response.json()
                assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])

        run()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/chat" in checked and "POST /v1/chat/completions" in checked
