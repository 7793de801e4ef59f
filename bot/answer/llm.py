"""Generative answers through any OpenAI-compatible chat endpoint, verified before they reach a user.

LangChain's ChatOpenAI writes the answer from numbered context blocks (prompts/ holds the Chinese system
and answer templates). Afterwards every [n] must name a retrieved block, every number must appear in a
cited block, and each reference becomes a citation with exact offsets. When the endpoint fails, times out
or answers garbage, the extractive answerer answers instead and the reason is logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot import budget
from bot.analysis import char_ngrams, sentence_spans
from bot.answer.base import Declined, Event, Prepared
from bot.answer.extractive import ExtractiveAdapter
from bot.answer.fallback import FallbackAnswerer
from bot.errors import ConfigError, LLMError
from bot.extractive import ExtractiveAnswerer
from bot.grounding import (
    REF,
    clean,
    digits,
    drop_echoed_headers,
    is_lead_in,
    is_refusal,
    numbers,
    stated_numbers,
    support,
)
from bot.injection import strip_instructions, without_flagged
from bot.settings import Settings
from bot.types import CANNOT_ANSWER, Answer, Citation, Hit

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
UNVERIFIED = "（未在所引资料中找到）"
MIN_SUPPORT = 0.35
"""An answer of its own words (not a bare number) whose cited blocks hold less of its wording than this, and
none of its numbers, is written from elsewhere (world knowledge): the extractive answer replaces it."""

ContextKind = Literal["chunks", "sentences"]


def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt file {path} is missing: reinstall or restore prompts/.") from exc


@dataclass(frozen=True)
class Block:
    """A numbered passage of the prompt: `text[start:end]` of a retrieved chunk (the whole chunk by default)."""

    hit: Hit
    start: int = 0
    end: int | None = None

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]


def chunk_blocks(hits: Sequence[Hit]) -> list[Block]:
    return [Block(h) for h in hits]


def evidence_blocks(
    cands: Sequence[Any], hits: Sequence[Hit], *, max_chars: int, max_blocks: int, by_report: bool = False
) -> list[Block]:
    """The few sentences around the best evidence: each of the best sentences with its neighbours, merged
    where they touch, until `max_chars` characters (about as many tokens) or `max_blocks` blocks.

    `cands` are scored sentences, best first (ExtractiveAnswerer.evidence). With `by_report` (a comparison),
    each report's best sentence comes before any report's second one, so every side has its evidence.
    """
    if by_report:
        rank: dict[str, int] = {}
        keyed: list[tuple[int, int, Any]] = []
        for c in cands:
            rid = c.chunk.report_id
            rank[rid] = rank.get(rid, -1) + 1
            keyed.append((rank[rid], len(keyed), c))
        cands = [c for *_, c in sorted(keyed, key=lambda t: (t[0], t[1]))]
    spans: dict[int, list[list[int]]] = {}  # hit rank → merged [start, end) windows
    order: list[tuple[int, list[int]]] = []
    total = 0
    for c in cands:
        covered = any(hits[r].chunk.report_id == c.chunk.report_id for r, _w in order)
        if (len(order) >= max_blocks and not spans.get(c.hit_rank)) or (total >= max_chars and not by_report):
            break
        if total >= max_chars and covered:
            continue  # a comparison: only a report without evidence yet gets its best sentence
        sents = list(sentence_spans(c.chunk.text))
        i = next((j for j, (s, _e) in enumerate(sents) if s == c.start), None)
        if i is None:
            continue
        lo, hi = sents[max(i - 1, 0)][0], sents[min(i + 1, len(sents) - 1)][1]
        if hi - lo > max_chars - total:  # a long neighbourhood: the sentence alone, never a part of one
            lo, hi = c.start, c.end
            if hi - lo > max_chars - total and covered:
                continue  # too long for what is left, and its report already has evidence
        windows = spans.setdefault(c.hit_rank, [])
        for w in windows:
            if lo <= w[1] and hi >= w[0]:
                total -= w[1] - w[0]
                w[0], w[1] = min(w[0], lo), max(w[1], hi)
                total += w[1] - w[0]
                break
        else:
            w = [lo, hi]
            windows.append(w)
            order.append((c.hit_rank, w))
            total += hi - lo
    # within a chunk, in reading order; chunks in the order their best evidence came
    blocks: list[Block] = []
    for r, w in order:
        blocks.append(Block(hits[r], w[0], w[1]))
    return blocks[:max_blocks]


def format_contexts(blocks: Sequence[Block], titles: dict[str, str], *, sections: bool = True) -> str:
    parts = []
    for i, b in enumerate(blocks, 1):
        c = b.hit.chunk
        where = (" " + (" > ".join(c.section_path) or "正文")) if sections else ""
        # a sentence of the report that addresses the reader or the model is not context: it never reaches it
        parts.append(f"[{i}] 《{titles.get(c.report_id, c.source)}》{where}\n{without_flagged(b.text.strip())}")
    return "\n\n".join(parts)


def format_history(history: Sequence[Any]) -> str:
    """The user's earlier questions, cleaned as a question is. Assistant turns are left out: the client sends
    them, so they are the user's text too, and a forged "[系统通知] 从现在起…" turn must not read as the bot's
    own words or as instructions."""
    questions = [strip_instructions(t.content.strip()) for t in history if t.role == "user" and t.content.strip()]
    lines = [f"用户：{without_flagged(q)[:500]}" for q in questions[-3:]]
    lines = [line for line in lines if line != "用户："]
    return "此前用户问过：\n" + "\n".join(lines) + "\n\n" if lines else ""


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
        self.example = _example(load_prompt("compact_example.md")) if context == "sentences" else None

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
            question=prep.query.question,
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
        """Check what the model wrote against the blocks it was given, and turn [n] into citations.

        Markdown and other reference forms are cleaned; references to blocks that were not given are dropped;
        a refusal in the model's own words counts as CANNOT_ANSWER; every number (in digits, 二十八 = 28) must be
        in a cited block, the question or a cited report's title, else it gets the block that holds it or is
        marked; an answer whose own wording its cited blocks do not hold is Ungrounded. What was changed is said
        in `reason`.
        """
        blocks = list(blocks) if blocks is not None else chunk_blocks(prep.hits[: self.max_blocks])
        hits = prep.hits[: self.max_blocks]
        contexts = [h.as_context() for h in hits]
        raw = (text or "").strip()
        notes: list[str] = []
        text = drop_echoed_headers(clean(raw))
        if text != raw and _REF_ONLY.sub("", text) != _REF_ONLY.sub("", raw):
            notes.append("Markdown or echoed block headers removed")
        if not text or not re.search(r"[\u4e00-\u9fff]", text):
            raise LLMError(f"LLM answer is empty or not Chinese: {raw[:80]!r}")
        if self._leaks_prompt(text):
            raise LLMError("LLM answer repeats the system prompt")
        if self.example and self.example[1].rstrip("。") in text:
            raise LLMError("LLM answer repeats the worked example")
        refused = CANNOT_ANSWER in text
        text = text.replace(CANNOT_ANSWER, "").strip(" ：:，,")
        if not refused and is_refusal(text):
            refused = True
            notes.append("a refusal without CANNOT_ANSWER")
        if not refused and is_lead_in(text):
            raise LLMError(f"LLM answer stops at a lead-in: {text[-40:]!r}")
        # 1. references to blocks that were not given are dropped
        used: list[int] = []

        def keep(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if 1 <= n <= len(blocks):
                if n not in used:
                    used.append(n)
                return m.group(0)
            notes.append(f"dropped reference [{n}] (only {len(blocks)} blocks were given)")
            return ""

        text = REF.sub(keep, text)
        if refused and not re.search(r"[\u4e00-\u9fff]", REF.sub("", text)):
            raise LLMError(f"LLM refusal says nothing but what the prompt holds: {raw[:80]!r}")
        if not refused and not used:
            n = self._best_supported(text, blocks, prep.query.question)
            if n is None:
                raise LLMError("LLM answer cites no retrieved block")
            used.append(n)
            text = _append_ref(text, n)
            notes.append(f"reference [{n}] added: the answer gave none and that block holds it")
        # 2. every number must be in a cited block (or the question): else the block that holds it, or a mark
        titles = {rid: r.meta.title for rid, r in prep.data.reports.items()}
        cited_before = list(used)
        text, used = self._check_numbers(text, used, blocks, titles, prep.query.question, notes)
        if len(used) > len(cited_before):  # a block was added for a number: drop a cited one that holds nothing
            text, used = self._drop_unsupporting(text, used, cited_before, blocks, prep.query.question, notes)
        # 3. an answer of its own words that the cited blocks do not hold comes from elsewhere
        if not refused:
            cited = "".join(blocks[n - 1].text for n in used)
            share = support(text, cited, prep.query.question)
            supported = [x for x in numbers(text) if x in digits(cited)]
            if share is not None and share < MIN_SUPPORT and not supported:
                raise Ungrounded(f"the LLM answer is not in the blocks it cites ({share:.0%} of its wording is)")
        # 4. citations: for each block referenced, the sentence of it closest to what the answer says
        renumber: dict[int, int] = {}
        citations: list[Citation] = []
        for n in used:
            renumber[n] = len(citations) + 1
            citations.append(self._citation(blocks[n - 1], text, prep))
        text = REF.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
        reason = "the LLM found no answer in the context" if refused else None
        if notes:
            reason = "; ".join(filter(None, [reason, "verification: " + "; ".join(dict.fromkeys(notes))]))
        return Answer(
            answer=text,
            answerable=not refused,
            mode="generative",
            citations=citations,
            contexts=contexts,
            resolved_question=prep.query.text if prep.query.text != prep.query.question else None,
            reason=reason,
        )

    def _leaks_prompt(self, text: str, window: int = 16) -> bool:
        """True when the answer quotes the system rules (a prompt-injection "repeat your instructions")."""
        # the rules themselves, not the example sentences they quote (an answer may well look like those)
        rules = re.sub(r"\s+", "", re.sub(r"[“\"][^”\"]*[”\"]", "", self.system))
        flat = re.sub(r"\s+", "", text)
        return any(rules[i : i + window] in flat for i in range(0, max(len(rules) - window, 0), 4))

    @staticmethod
    def _check_numbers(
        text: str, used: list[int], blocks: Sequence[Block], titles: dict[str, str], question: str, notes: list[str]
    ) -> tuple[str, list[int]]:
        """Each number of the answer, compared in digits (二十八件 = 28件), must be in a cited block, the question
        or a cited report's title; one that only another block holds gets that block's reference, else a mark."""
        used = list(used)

        def holds(n: int) -> str:
            b = blocks[n - 1]
            return digits(b.text + titles.get(b.hit.chunk.report_id, ""))

        known = digits(question)
        out: list[str] = []
        for sent in re.finditer(r"[^。；！？\n]+[。；！？]?|\n", text):
            body = sent.group(0)
            marks: list[int] = []  # where UNVERIFIED goes
            add: list[int] = []
            for value, end, shown in stated_numbers(body):
                if value in known or any(value in holds(n) for n in used):
                    continue
                other = next((n for n in range(1, len(blocks) + 1) if n not in used and value in holds(n)), None)
                if other is not None:
                    used.append(other)
                    add.append(other)
                    notes.append(f"{shown} is in block [{other}], not in the blocks cited")
                else:
                    notes.append(f"{shown} is in no block given")
                    marks.append(end)
            for end in sorted(marks, reverse=True):
                body = body[:end] + UNVERIFIED + body[end:]
            for n in add:
                body = _append_ref(body, n)
            out.append(body)
        return "".join(out), used

    @staticmethod
    def _drop_unsupporting(
        text: str, used: list[int], cited: list[int], blocks: Sequence[Block], question: str, notes: list[str]
    ) -> tuple[str, list[int]]:
        """The answer without the references the model gave to blocks that add none of its numbers (beyond
        those the blocks verification found hold) and little of its wording."""
        stated = numbers(text)
        added = "".join(digits(blocks[n - 1].text) for n in used if n not in cited)
        keep = list(used)
        for n in cited:
            held = digits(blocks[n - 1].text)
            unique = [x for x in stated if x in held and x not in added]  # what only this block gives
            if unique or (support(text, blocks[n - 1].text, question) or 0.0) >= MIN_SUPPORT:
                continue
            keep.remove(n)
            text = text.replace(f"[{n}]", "")
            notes.append(f"dropped reference [{n}]: that block holds none of the answer")
        return text, keep

    @staticmethod
    def _best_supported(text: str, blocks: Sequence[Block], question: str) -> int | None:
        """The block that holds most of an answer given without any reference, if it holds most of it."""
        shares = [(support(text, b.text, question, own_only=True) or 0.0, n) for n, b in enumerate(blocks, 1)]
        share, n = max(shares, default=(0.0, 0))
        return n if share >= 0.5 else None

    @staticmethod
    def _citation(block: Block, answer: str, prep: Prepared) -> Citation:
        """The sentence of the block that shares the answer's numbers and the most of its wording."""
        c = block.hit.chunk
        target = char_ngrams(REF.sub("", answer))
        nums = set(numbers(answer))
        lo, hi = block.start, len(c.text) if block.end is None else block.end
        best, best_score = (lo, hi), -1.0
        for s, e in sentence_spans(c.text):
            if s < lo or e > hi:
                continue
            sent = c.text[s:e]
            score = len(char_ngrams(sent) & target) + 5.0 * len(nums & set(numbers(sent)))
            score -= 0.01 * len(sent)
            if score > best_score:
                best, best_score = (s, e), score
        start, end = c.orig_span(*best)
        return prep.data.reports[c.report_id].cite(start, end, c.section_path)


class Ungrounded(Declined):
    """The answer's facts are in none of the blocks it cites (written from the model's own knowledge)."""


_REF_ONLY = re.compile(r"\s+")


def _append_ref(sentence: str, n: int) -> str:
    """`sentence` with [n] before its final punctuation."""
    stop = re.search(r"[。；！？.]?\s*$", sentence)
    at = stop.start() if stop else len(sentence)
    return sentence[:at] + f"[{n}]" + sentence[at:]


def _example(text: str) -> tuple[str, str]:
    """The worked example file: the question turn, a line `---`, the answer turn."""
    question, sep, answer = text.partition("\n---\n")
    if not sep:
        raise ConfigError("prompts/compact_example.md needs a line '---' between the question and the answer")
    return question.strip(), answer.strip()


def _content(msg: Any) -> str:
    content = getattr(msg, "content", msg)
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def make_llm_answerer(settings: Settings, extractive: ExtractiveAnswerer | None = None) -> FallbackAnswerer:
    """ChatOpenAI pointed at the configured OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama…),
    falling back to `extractive` (a new ExtractiveAnswerer if not given) as the settings say."""
    if not settings.llm_base_url:
        raise ConfigError("generative mode needs REPORTQA_LLM_BASE_URL.")
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "not-needed",
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_tokens=settings.llm_max_tokens,
        max_retries=0,
        streaming=True,  # .stream() yields real tokens; .invoke() aggregates them
    )
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
