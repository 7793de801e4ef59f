"""The HTTP API through a real uvicorn on 127.0.0.1 with the official clients (openai, LangChain's ChatOpenAI), on
the neutral fixture and the app of tests/unit/test_api.py."""

# The fixture imported from the unit module is requested by name: not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.settings import Settings
from tests.conftest import NEUTRAL_FACT
from tests.fake_openai import serve
from tests.unit.test_api import Q, built  # noqa: F401  (built: the app's settings and bot)


@pytest.fixture(scope="module")
def live(built: tuple[Settings, ReportQA]) -> Iterator[str]:
    with serve(create_app(built[0], qa=built[1])) as url:
        yield url


def test_official_openai_client_reads_answer_and_citations(live: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=live + "/v1", api_key="unused", max_retries=0, timeout=30)
    resp = client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": Q}])
    msg = resp.choices[0].message
    assert NEUTRAL_FACT in (msg.content or "")
    cits = (msg.model_extra or {})["citations"]
    assert cits and NEUTRAL_FACT in cits[0]["quote"]


def test_official_openai_client_streams_and_gets_citations_in_the_final_chunk(live: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=live + "/v1", api_key="unused", max_retries=0, timeout=30)
    stream = client.chat.completions.create(model="reportqa", messages=[{"role": "user", "content": Q}], stream=True)
    parts, cits = [], None
    for chunk in stream:
        delta = chunk.choices[0].delta
        parts.append(delta.content or "")
        extra = delta.model_extra or {}
        if extra.get("citations"):
            cits = extra["citations"]
    assert NEUTRAL_FACT in "".join(parts) and len([p for p in parts if p]) > 1
    assert cits and cits[0]["source"].endswith(".txt")


def test_langchain_chat_openai_works_unchanged_and_reads_citations(live: str) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=live + "/v1", api_key="unused", model="reportqa", include_response_headers=True)  # type: ignore[arg-type]
    msg = chat.invoke(Q)
    assert NEUTRAL_FACT in str(msg.content)
    cits = json.loads(unquote(msg.response_metadata["headers"]["x-reportqa-citations"]))
    assert cits[0]["quote"]
    streamed = "".join(
        str(c.content) for c in ChatOpenAI(base_url=live + "/v1", api_key="unused", model="reportqa").stream(Q)
    )  # type: ignore[arg-type]
    assert NEUTRAL_FACT in streamed
