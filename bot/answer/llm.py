"""Generative answers through any OpenAI-compatible chat endpoint, verified before they reach a user.

LangChain's ChatOpenAI writes the answer from numbered context blocks (prompts/ holds the Chinese system
and answer templates). Afterwards every [n] must name a retrieved block, every number must appear in a
cited block, and each reference becomes a citation with exact offsets. When the endpoint fails, times out
or answers garbage, the extractive answerer answers instead and the reason is logged.

The prompt is built in bot.answer.prompt and the answer checked in bot.answer.verify; this module holds the
chat client's answerer and its factory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from bot import budget
from bot.answer.base import Declined, Event, Prepared
from bot.answer.extractive import ExtractiveAdapter, ExtractiveAnswerer
from bot.answer.fallback import FallbackAnswerer
from bot.answer.prompt import (
    PROMPTS_DIR,
    Block,
    ContextKind,
    chunk_blocks,
    evidence_blocks,
    format_contexts,
    format_history,
    load_prompt,
    parse_example,
)
from bot.answer.verify import MIN_SUPPORT, UNVERIFIED, Ungrounded, verify_answer
from bot.errors import ConfigError
from bot.settings import Settings
from bot.types import Answer

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

# The prompt (bot.answer.prompt) and the verification (bot.answer.verify) were part of this module: their
# public names are still importable from here.
__all__ = [
    "MIN_SUPPORT",
    "PROMPTS_DIR",
    "UNVERIFIED",
    "Block",
    "BudgetExceeded",
    "ContextKind",
    "LLMAnswerer",
    "Ungrounded",
    "chunk_blocks",
    "evidence_blocks",
    "format_contexts",
    "format_history",
    "load_prompt",
    "make_llm_answerer",
]

log = logging.getLogger(__name__)


class BudgetExceeded(Declined):
    """The answer took longer to write than the generation budget allows."""


class LLMAnswerer:
    """Answers with a LangChain chat model; `chat` is any BaseChatModel (ChatOpenAI in production).

    `budget` bounds the seconds from the request to the last token: past it the stream is closed (a server
    that stops on disconnect, such as `python -m bot llm serve`, stops generating) and the extractive answer
    is given, with the reason.

    `context` is what the prompt carries: "chunks" (up to `max_blocks` whole retrieved chunks, for a large
    model) or "sentences" (the few sentences around the best evidence, about `evidence_chars` characters,
    with short rules and one worked example: for a small model on a CPU, where each prompt token costs).

    `evidence` ranks the retrieved sentences for the "sentences" context (the extractive answerer's
    `evidence`). A failure raises (LLMError, Ungrounded, BudgetExceeded, transport errors): what to answer
    instead is the FallbackAnswerer's business (bot.answer.fallback).
    """

    def __init__(
        self,
        chat: Any,
        *,
        max_blocks: int = 6,
        budget: float = 60.0,
        context: ContextKind = "chunks",
        evidence_chars: int = 360,
        evidence: Callable[[Prepared], Sequence[Any]] | None = None,
    ):
        if max_blocks <= 0:
            raise ConfigError(f"max_blocks must be > 0, got {max_blocks}")
        if budget <= 0:
            raise ConfigError(f"budget must be > 0 seconds, got {budget}")
        if evidence_chars < 60:
            raise ConfigError(f"evidence_chars must be >= 60, got {evidence_chars}")
        if context not in ("chunks", "sentences"):
            raise ConfigError(f"context must be 'chunks' or 'sentences', got {context!r}")
        if context == "sentences" and evidence is None:
            raise ConfigError("context 'sentences' needs an evidence ranker (ExtractiveAnswerer.evidence)")
        self.chat = chat
        self.max_blocks = max_blocks
        self.budget = budget
        self.context = context
        self.evidence_chars = evidence_chars
        self.evidence = evidence
        prefix = "compact_" if context == "sentences" else ""
        self.system = load_prompt(prefix + "system.md")
        self.template = load_prompt(prefix + "answer.md")
        self.example = parse_example(load_prompt("compact_example.md")) if context == "sentences" else None

    # ------------------------------------------------------------------ prompt
    def blocks(self, prep: Prepared) -> list[Block]:
        hits = prep.hits[: self.max_blocks]
        if self.context == "chunks" or self.evidence is None:
            return chunk_blocks(hits)
        cands = [c for c in self.evidence(Prepared(prep.query, hits, prep.data)) if c.hit_rank < len(hits)]
        by_report = prep.query.compare and len(prep.query.report_ids) > 1
        return evidence_blocks(
            cands, hits, max_chars=self.evidence_chars, max_blocks=self.max_blocks, by_report=by_report
        ) or chunk_blocks(hits[:1])

    def messages(self, prep: Prepared, blocks: Sequence[Block], history: Sequence[Any] = ()) -> list[Any]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        titles = {rid: r.meta.title for rid, r in prep.data.reports.items()}
        user = self.template.format(
            contexts=format_contexts(blocks, titles, sections=self.context == "chunks"),
            history=format_history(history),
            question=prep.query.typed,
        )
        shots: list[Any] = []
        if self.example:  # the worked example as a turn of its own: a small model copies the form it sees
            shots = [HumanMessage(content=self.example[0]), AIMessage(content=self.example[1])]
        return [SystemMessage(content=self.system), *shots, HumanMessage(content=user)]

    # ------------------------------------------------------------------ answering
    def _generate(self, messages: list[Any], left: float | None = None) -> Iterator[str]:
        """The answer's pieces as they stream; BudgetExceeded once the generation budget, or what is `left` of
        the request's time budget, is spent (the HTTP call itself is bounded by it too)."""
        limit = self.budget if left is None else min(self.budget, max(left, 0.5))
        deadline = time.monotonic() + limit
        extra: dict[str, Any] = {"timeout": max(left, 0.5)} if left is not None else {}
        stream = self.chat.stream(messages, **extra)
        try:
            for chunk in stream:
                piece = _content(chunk)
                if piece:
                    yield piece
                if time.monotonic() > deadline:
                    raise BudgetExceeded(f"the answer was not written within the {limit:g} s budget")
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # closes the HTTP stream, so that the server can stop generating

    def answer(self, prep: Prepared, history: Sequence[Any] = ()) -> Answer:
        left = budget.remaining()  # the request's time budget bounds the call (ChatOpenAI takes `timeout`)
        blocks = self.blocks(prep)
        text = "".join(self._generate(self.messages(prep, blocks, history), left))
        return self.verify(text, prep, blocks)

    def stream(self, prep: Prepared, history: Sequence[Any] = (), timeout: float | None = None) -> Iterator[Event]:
        """Stream the answer; `timeout` (what is left of the request's budget) bounds the call when given."""
        blocks = self.blocks(prep)
        parts: list[str] = []
        for piece in self._generate(self.messages(prep, blocks, history), timeout):
            parts.append(piece)
            yield "delta", piece
        yield "answer", self.verify("".join(parts), prep, blocks)

    # ------------------------------------------------------------------ verification
    def verify(self, text: str, prep: Prepared, blocks: Sequence[Block] | None = None) -> Answer:
        """Check what the model wrote against the blocks it was given (by default the first `max_blocks` hits as
        whole chunks), and turn [n] into citations: bot.answer.verify.verify_answer."""
        return verify_answer(text, prep, blocks, max_blocks=self.max_blocks, system=self.system, example=self.example)


def _content(msg: Any) -> str:
    content = getattr(msg, "content", msg)
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def make_chat(settings: Settings) -> BaseChatModel:
    """ChatOpenAI pointed at the configured OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama…)."""
    if not settings.llm_base_url:
        raise ConfigError("generative mode needs REPORTQA_LLM_BASE_URL.")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "not-needed",
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_tokens=settings.llm_max_tokens,
        max_retries=0,
        streaming=True,  # .stream() yields real tokens; .invoke() aggregates them
    )


def make_llm_answerer(settings: Settings, extractive: ExtractiveAnswerer | None = None) -> FallbackAnswerer:
    """The configured endpoint's model (`make_chat`), falling back to `extractive` (a new ExtractiveAnswerer if
    not given) as the settings say."""
    chat = make_chat(settings)
    extractive = extractive or ExtractiveAnswerer()
    llm = LLMAnswerer(
        chat,
        max_blocks=settings.retrieval_k,
        budget=settings.llm_budget,
        context=settings.llm_context,
        evidence_chars=settings.llm_evidence_chars,
        evidence=extractive.evidence,
    )
    return FallbackAnswerer(llm, ExtractiveAdapter(extractive), gate=settings.llm_gate)
