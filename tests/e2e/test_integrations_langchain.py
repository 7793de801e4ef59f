"""bot.integrations.langchain against a real uvicorn on 127.0.0.1: ChatReportQA streams and keeps its citations,
ReportQARetriever returns documents with offsets that slice the report files. On the neutral fixture: the
plumbing is under test, not the answers to the sample reports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from bot.embed import HashEmbedder
from bot.integrations.langchain import ChatReportQA, ReportQAClientError, ReportQARetriever
from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.settings import Settings
from bot.store import IndexHandle
from ingest.index import ingest
from tests.conftest import NEUTRAL_DIR, NEUTRAL_FACT, NEUTRAL_Q, neutral_text
from tests.fake_openai import serve

Q = NEUTRAL_Q
KEY = "sk_langchain_test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app in production mode (a bearer key is required) under uvicorn."""
    root = tmp_path_factory.mktemp("langchain")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        index_dir=root / "index",
        cache_dir=root / "cache",
        feedback_db=root / "fb.sqlite3",
        mode="production",
        api_keys=[KEY],
    )
    ingest([NEUTRAL_DIR], settings, HashEmbedder())
    qa = ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder())
    with serve(create_app(settings, qa=qa)) as url:
        yield url


def file_text(source: str) -> str:
    return neutral_text(source)


def assert_citations_slice_the_files(citations: list[dict[str, Any]]) -> None:
    assert citations
    for c in citations:
        assert file_text(c["source"])[c["start"] : c["end"]] == c["quote"]
        assert c["title"] and c["section"]


# --------------------------------------------------------------------------------------------- chat model
def test_invoke_carries_citations_and_token_usage(server: str) -> None:
    chat = ChatReportQA(base_url=server + "/v1", api_key=KEY)  # with or without /v1
    msg = chat.invoke(Q)
    assert isinstance(msg, AIMessage) and NEUTRAL_FACT in msg.content
    assert msg.response_metadata["answerable"] is True
    assert_citations_slice_the_files(msg.response_metadata["citations"])
    assert any(NEUTRAL_FACT in c["quote"] for c in msg.response_metadata["citations"])
    assert msg.usage_metadata and msg.usage_metadata["total_tokens"] > msg.usage_metadata["output_tokens"] > 0


def test_stream_yields_tokens_then_citations_in_the_final_chunk(server: str) -> None:
    chat = ChatReportQA(base_url=server, api_key=KEY)
    chunks = list(chat.stream(Q))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 2  # streamed, not one block
    assert all("citations" not in c.response_metadata for c in chunks[:-1])
    final = chunks[-1]
    assert final.response_metadata["finish_reason"] == "stop"
    assert_citations_slice_the_files(final.response_metadata["citations"])
    assert final.usage_metadata and final.usage_metadata["total_tokens"] > 0

    whole = chunks[0]
    for c in chunks[1:]:
        whole = whole + c
    invoked = chat.invoke(Q)
    assert whole.content == invoked.content
    assert whole.response_metadata["citations"] == invoked.response_metadata["citations"]


def test_astream_and_astream_events_keep_the_citations(server: str) -> None:
    chat = ChatReportQA(base_url=server, api_key=KEY)

    async def run() -> tuple[list[Any], list[dict[str, Any]]]:
        chunks = [c async for c in chat.astream(Q)]
        events = [e async for e in chat.astream_events(Q, version="v2")]
        return chunks, events

    chunks, events = asyncio.run(run())
    assert len([c for c in chunks if c.content]) >= 2
    assert_citations_slice_the_files(chunks[-1].response_metadata["citations"])
    streamed = [e for e in events if e["event"] == "on_chat_model_stream"]
    assert len(streamed) >= 2
    [end] = [e for e in events if e["event"] == "on_chat_model_end"]
    output = end["data"]["output"]
    assert NEUTRAL_FACT in output.content
    assert_citations_slice_the_files(output.response_metadata["citations"])


def test_chat_model_works_in_a_chain_with_history(server: str) -> None:
    prompt = ChatPromptTemplate.from_messages([("placeholder", "{history}"), ("human", "{question}")])
    chain = prompt | ChatReportQA(base_url=server, api_key=KEY)
    history = [HumanMessage(Q), AIMessage("行政复议案件73件。")]
    msg = chain.invoke({"history": history, "question": "那柯桥区呢？"})
    assert msg.response_metadata["answerable"] is True and "58件" in msg.content  # the other report's answer
    assert_citations_slice_the_files(msg.response_metadata["citations"])
    assert all(c["source"] == "keqiao_2021.txt" for c in msg.response_metadata["citations"])


def test_wrong_key_raises_the_servers_refusal(server: str) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError):
        ChatReportQA(base_url=server, api_key="sk_wrong", max_retries=0).invoke(Q)


# --------------------------------------------------------------------------------------------- retriever
def test_retriever_returns_ranked_passages_whose_offsets_slice_the_file(server: str) -> None:
    docs = ReportQARetriever(base_url=server, api_key=KEY).invoke(Q)
    assert docs and all(isinstance(d, Document) for d in docs)
    for d in docs:
        m = d.metadata
        assert file_text(m["source"])[m["start"] : m["end"]] == d.page_content
        assert m["title"] and m["report_id"] and m["section_path"] == " › ".join(m["section"])
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert any(NEUTRAL_FACT in d.page_content for d in docs[:3])


def test_retriever_filters_reports_and_runs_async_inside_a_chain(server: str) -> None:
    retriever = ReportQARetriever(base_url=server, api_key=KEY, report_ids=["keqiao_2021"])
    chain = retriever | RunnableLambda(lambda docs: [(d.metadata["source"], d.metadata["section_path"]) for d in docs])
    rows = asyncio.run(chain.ainvoke("行政机关负责人出庭应诉了几次？"))
    assert rows and all(source == "keqiao_2021.txt" for source, _ in rows)
    assert rows[0][1] == "一、主要举措和成效 › （一）规范行政复议和应诉"  # the passage that answers, with its path


def test_retriever_reports_a_refused_key_clearly(server: str) -> None:
    with pytest.raises(ReportQAClientError, match="401"):
        ReportQARetriever(base_url=server, api_key="sk_wrong").invoke(Q)
    with pytest.raises(ValueError, match="http"):
        ReportQARetriever(base_url="127.0.0.1:8000")
