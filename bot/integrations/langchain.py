"""LangChain integration: ReportQA's retrieval and its cited answers inside a LangChain application.

Both classes talk to a running ReportQA server over HTTP (``python -m bot serve``); they never import the
pipeline, so a LangChain application needs only this module, langchain-core, openai and httpx.

- `ReportQARetriever` is a `BaseRetriever`: the passages ReportQA retrieves for a question, as `Document`s whose
  metadata carries the citation fields (``report_id``, ``source``, ``title``, ``section``, ``section_path``,
  ``start``, ``end``, ``score``), so that ``text[start:end] == page_content`` in the report the server serves.
- `ChatReportQA` is a `BaseChatModel` over the OpenAI-compatible ``/v1/chat/completions``. It streams, and it
  puts the answer's citations in ``response_metadata["citations"]`` of the final chunk (and of `invoke`'s
  message), which ChatOpenAI drops; token counts arrive in ``usage_metadata``.

```python
from bot.integrations.langchain import ChatReportQA, ReportQARetriever

chat = ChatReportQA(base_url="http://127.0.0.1:8000", api_key="YOUR_KEY")
for chunk in chat.stream("白云区人社局2020年行政机关负责人出庭应诉了几件？"):
    print(chunk.content, end="")
print(chunk.response_metadata["citations"])
```
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import openai
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForLLMRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.retrievers import BaseRetriever
from pydantic import Field, PrivateAttr, SecretStr, field_validator

from bot.errors import ReportQAError

MODEL_ID = "reportqa"
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


class ReportQAClientError(ReportQAError):
    """The ReportQA server refused a request or could not be reached."""

    code = "client_error"
    status = 502


def _root(url: str) -> str:
    """The server's root URL: "http://host:8000/v1/" and "http://host:8000" both give "http://host:8000"."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/v1")


def _checked_root(url: str) -> str:
    """`_root` of an http(s) URL; anything else is a clear error when the object is built."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL, got {url!r}")
    return _root(url)


def _auth(api_key: SecretStr | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}


def _checked(res: httpx.Response) -> Any:
    if res.is_success:
        return res.json()
    try:
        err = res.json()["error"]
        detail = f"{err['code']}: {err['message']}"
    except Exception:
        detail = res.text[:200]
    raise ReportQAClientError(f"ReportQA server answered {res.status_code} for {res.request.url.path} ({detail})")


# ---------------------------------------------------------------------------------------------- retriever
class ReportQARetriever(BaseRetriever):
    """The passages ReportQA retrieves for a question, with their offsets, section path and report title.

    One POST /api/chat gives the ranked contexts; each becomes a `Document` holding its passage (GET
    /api/reports/{id}/passage), in rank order. ``report_ids`` restricts retrieval to some reports.
    """

    base_url: str = Field(description="The ReportQA server, e.g. http://127.0.0.1:8000 (a trailing /v1 is fine).")
    api_key: SecretStr | None = Field(default=None, description="A key of REPORTQA_API_KEYS, if the server needs one.")
    report_ids: list[str] | None = Field(default=None, description="Only these reports (GET /api/reports).")
    timeout: float = Field(default=60.0, gt=0, description="Seconds per HTTP request.")
    _ids_by_source: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _normalise(cls, url: str) -> str:
        return _checked_root(url)

    def _chat_body(self, query: str) -> dict[str, Any]:
        body: dict[str, Any] = {"question": query}
        if self.report_ids:
            body["filters"] = {"report_ids": self.report_ids}
        return body

    @staticmethod
    def _document(passage: dict[str, Any], context: dict[str, Any]) -> Document:
        return Document(
            page_content=passage["quote"],
            metadata={
                "report_id": passage["report_id"],
                "source": context["source"],
                "title": passage["title"],
                "section": list(passage["section"]),
                "section_path": " › ".join(passage["section"]),
                "start": passage["start"],
                "end": passage["end"],
                "score": context.get("score"),
            },
        )

    def _remember(self, reports: dict[str, Any]) -> None:
        self._ids_by_source = {r["source"]: r["report_id"] for r in reports["reports"]}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        with httpx.Client(base_url=self.base_url, headers=_auth(self.api_key), timeout=self.timeout) as http:
            try:
                answer = _checked(http.post("/api/chat", json=self._chat_body(query)))
                contexts = answer.get("contexts", [])
                if any(c["source"] not in self._ids_by_source for c in contexts):
                    self._remember(_checked(http.get("/api/reports")))
                docs = []
                for c in contexts:
                    rid = self._ids_by_source[c["source"]]
                    params = {"start": c["start"], "end": c["end"]}
                    docs.append(self._document(_checked(http.get(f"/api/reports/{rid}/passage", params=params)), c))
            except httpx.HTTPError as exc:
                raise ReportQAClientError(f"cannot reach the ReportQA server at {self.base_url}: {exc}") from exc
        return docs

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        headers = _auth(self.api_key)
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=self.timeout) as http:
            try:
                answer = _checked(await http.post("/api/chat", json=self._chat_body(query)))
                contexts = answer.get("contexts", [])
                if any(c["source"] not in self._ids_by_source for c in contexts):
                    self._remember(_checked(await http.get("/api/reports")))

                async def one(c: dict[str, Any]) -> Document:
                    rid = self._ids_by_source[c["source"]]
                    res = await http.get(f"/api/reports/{rid}/passage", params={"start": c["start"], "end": c["end"]})
                    return self._document(_checked(res), c)

                return list(await asyncio.gather(*(one(c) for c in contexts)))
            except httpx.HTTPError as exc:
                raise ReportQAClientError(f"cannot reach the ReportQA server at {self.base_url}: {exc}") from exc


# ---------------------------------------------------------------------------------------------- chat model
def _openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        role = m.role if isinstance(m, ChatMessage) else _ROLES.get(m.type, "user")
        content = m.content if isinstance(m.content, str) else m.text
        out.append({"role": role, "content": content})
    return out


def _usage(usage: Any) -> UsageMetadata | None:
    if usage is None:
        return None
    return UsageMetadata(
        input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens, total_tokens=usage.total_tokens
    )


def _extra(obj: Any, name: str, default: Any = None) -> Any:
    """A field the OpenAI SDK does not know (citations, answerable): kept in the object's model_extra."""
    return (getattr(obj, "model_extra", None) or {}).get(name, default)


class ChatReportQA(BaseChatModel):
    """ReportQA as a LangChain chat model whose answers keep their citations, streamed or not.

    ``response_metadata["citations"]`` holds the answer contract's citations (report_id, source, title,
    section, quote, start, end, page); ``response_metadata["answerable"]`` is false when the reports do not hold
    the answer. When streaming, they arrive on the final chunk, so the aggregated message (and the
    ``on_chat_model_end`` event of astream_events) has them too.
    """

    base_url: str = Field(description="The ReportQA server, e.g. http://127.0.0.1:8000 (a trailing /v1 is fine).")
    api_key: SecretStr | None = Field(default=None, description="A key of REPORTQA_API_KEYS, if the server needs one.")
    model: str = Field(default=MODEL_ID, description="The served model's id.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds per request.")
    max_retries: int = Field(default=2, ge=0, description="Retries of a failed request (the openai client's).")
    _client: openai.OpenAI | None = PrivateAttr(default=None)
    _aclient: openai.AsyncOpenAI | None = PrivateAttr(default=None)

    @field_validator("base_url")
    @classmethod
    def _normalise(cls, url: str) -> str:
        return _checked_root(url)

    @property
    def _llm_type(self) -> str:
        return "reportqa"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model}

    def _options(self) -> dict[str, Any]:
        key = self.api_key.get_secret_value() if self.api_key else "unused"  # the SDK insists on one
        return {
            "base_url": f"{self.base_url}/v1",
            "api_key": key,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    def _sync(self) -> openai.OpenAI:
        if self._client is None:
            self._client = openai.OpenAI(**self._options())
        return self._client

    def _async(self) -> openai.AsyncOpenAI:
        if self._aclient is None:
            self._aclient = openai.AsyncOpenAI(**self._options())
        return self._aclient

    # ------------------------------------------------------------------ conversions
    def _result(self, r: Any) -> ChatResult:
        choice = r.choices[0]
        citations = _extra(choice.message, "citations", _extra(r, "citations", []))
        meta = {
            "citations": citations,
            "answerable": _extra(choice.message, "answerable", _extra(r, "answerable")),
            "finish_reason": choice.finish_reason,
            "model_name": r.model,
            "id": r.id,
        }
        usage = _usage(r.usage)
        message = AIMessage(content=choice.message.content or "", response_metadata=meta, id=r.id)
        if usage:
            message.usage_metadata = usage
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output={"model_name": r.model})

    @staticmethod
    def _chunk(c: Any) -> ChatGenerationChunk | None:
        """A stream chunk as LangChain's: text, or (the final one) citations, answerable and token usage."""
        if not c.choices:
            usage = _usage(c.usage)
            return ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage)) if usage else None
        choice = c.choices[0]
        text = choice.delta.content or ""
        if choice.finish_reason is None:
            return ChatGenerationChunk(message=AIMessageChunk(content=text, id=c.id)) if text else None
        meta = {
            "citations": _extra(c, "citations", _extra(choice.delta, "citations", [])),
            "answerable": _extra(c, "answerable"),
            "finish_reason": choice.finish_reason,
            "model_name": c.model,
        }
        # chunk_position="last": LangChain then adds no empty chunk of its own after this one
        message = AIMessageChunk(
            content=text, id=c.id, response_metadata=meta, usage_metadata=_usage(c.usage), chunk_position="last"
        )
        return ChatGenerationChunk(message=message, generation_info={"finish_reason": choice.finish_reason})

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        if stop:
            raise ValueError("ReportQA answers are extractive or verified: stop sequences are not supported")
        return {"model": self.model, "messages": _openai_messages(messages), **kwargs}

    # ------------------------------------------------------------------ LangChain's hooks
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._result(self._sync().chat.completions.create(**self._request(messages, stop, **kwargs)))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        r = await self._async().chat.completions.create(**self._request(messages, stop, **kwargs))
        return self._result(r)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        stream = self._sync().chat.completions.create(stream=True, **self._request(messages, stop, **kwargs))
        with stream:
            for c in stream:
                chunk = self._chunk(c)
                if chunk is None:
                    continue
                if run_manager and chunk.text:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        stream = await self._async().chat.completions.create(stream=True, **self._request(messages, stop, **kwargs))
        async with stream:
            async for c in stream:
                chunk = self._chunk(c)
                if chunk is None:
                    continue
                if run_manager and chunk.text:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
