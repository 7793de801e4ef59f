"""Verifying a generative answer against the blocks it was given, before it reaches a user: every [n] must
name a given block, every number must be in a cited block, the answer's wording must be in what it cites,
and each reference becomes a citation with exact offsets. What was changed is said in the answer's reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answer.base import Declined, Prepared
from bot.answer.prompt import Block, chunk_blocks
from bot.errors import LLMError
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
from bot.text.analysis import char_ngrams, sentence_spans
from bot.types import CANNOT_ANSWER, Answer, Citation

UNVERIFIED = "（未在所引资料中找到）"
MIN_SUPPORT = 0.35
"""An answer of its own words (not a bare number) whose cited blocks hold less of its wording than this, and
none of its numbers, is written from elsewhere (world knowledge): the extractive answer replaces it."""


class Ungrounded(Declined):
    """The answer's facts are in none of the blocks it cites (written from the model's own knowledge)."""


_REF_ONLY = re.compile(r"\s+")


def verify_answer(
    text: str,
    prep: Prepared,
    blocks: Sequence[Block] | None = None,
    *,
    max_blocks: int,
    system: str,
    example: tuple[str, str] | None,
) -> Answer:
    """Check what the model wrote against the blocks it was given, and turn [n] into citations.

    Markdown and other reference forms are cleaned; references to blocks that were not given are dropped;
    a refusal in the model's own words counts as CANNOT_ANSWER; every number (in digits, 二十八 = 28) must be
    in a cited block, the question or a cited report's title, else it gets the block that holds it or is
    marked; an answer whose own wording its cited blocks do not hold is Ungrounded. What was changed is said
    in `reason`.
    """
    blocks = list(blocks) if blocks is not None else chunk_blocks(prep.hits[:max_blocks])
    contexts = [h.as_context() for h in prep.hits[:max_blocks]]
    raw = (text or "").strip()
    notes: list[str] = []
    text, refused = _cleaned(raw, system, example, notes)
    # 1. references to blocks that were not given are dropped
    text, used = _given_references(text, raw, blocks, refused, prep.query.typed, notes)
    # 2. every number must be in a cited block (or the question): else the block that holds it, or a mark
    titles = {rid: r.meta.title for rid, r in prep.data.reports.items()}
    cited_before = list(used)
    text, used = _check_numbers(text, used, blocks, titles, prep.query.typed, notes)
    if len(used) > len(cited_before):  # a block was added for a number: drop a cited one that holds nothing
        text, used = _drop_unsupporting(text, used, cited_before, blocks, prep.query.typed, notes)
    # 3. an answer of its own words that the cited blocks do not hold comes from elsewhere
    if not refused:
        _check_grounded(text, used, blocks, prep.query.typed)
    # 4. citations: for each block referenced, the sentence of it closest to what the answer says
    text, citations = _cited(text, used, blocks, prep)
    reason = "the LLM found no answer in the context" if refused else None
    if notes:
        reason = "; ".join(filter(None, [reason, "verification: " + "; ".join(dict.fromkeys(notes))]))
    return Answer(
        answer=text,
        answerable=not refused,
        mode="generative",
        citations=citations,
        contexts=contexts,
        resolved_question=prep.query.search_text if prep.query.search_text != prep.query.typed else None,
        reason=reason,
    )


def _cleaned(raw: str, system: str, example: tuple[str, str] | None, notes: list[str]) -> tuple[str, bool]:
    """(the answer without Markdown, echoed headers and CANNOT_ANSWER, whether it refuses); an answer that is
    empty, not Chinese, repeats the prompt or stops at a lead-in is an LLMError."""
    text = drop_echoed_headers(clean(raw))
    if text != raw and _REF_ONLY.sub("", text) != _REF_ONLY.sub("", raw):
        notes.append("Markdown or echoed block headers removed")
    if not text or not re.search(r"[\u4e00-\u9fff]", text):
        raise LLMError(f"LLM answer is empty or not Chinese: {raw[:80]!r}")
    if leaks_prompt(text, system):
        raise LLMError("LLM answer repeats the system prompt")
    if example and example[1].rstrip("。") in text:
        raise LLMError("LLM answer repeats the worked example")
    refused = CANNOT_ANSWER in text
    text = text.replace(CANNOT_ANSWER, "").strip(" ：:，,")
    if not refused and is_refusal(text):
        refused = True
        notes.append("a refusal without CANNOT_ANSWER")
    if not refused and is_lead_in(text):
        raise LLMError(f"LLM answer stops at a lead-in: {text[-40:]!r}")
    return text, refused


def _given_references(
    text: str, raw: str, blocks: Sequence[Block], refused: bool, question: str, notes: list[str]
) -> tuple[str, list[int]]:
    """(the answer with only references to blocks that were given, the blocks it cites in order); an answer
    that cites none gets the block that holds most of it."""
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
        n = _best_supported(text, blocks, question)
        if n is None:
            raise LLMError("LLM answer cites no retrieved block")
        used.append(n)
        text = _append_ref(text, n)
        notes.append(f"reference [{n}] added: the answer gave none and that block holds it")
    return text, used


def _check_grounded(text: str, used: list[int], blocks: Sequence[Block], question: str) -> None:
    """Ungrounded when the cited blocks hold too little of the answer's wording and none of its numbers."""
    cited = "".join(blocks[n - 1].text for n in used)
    share = support(text, cited, question)
    supported = [x for x in numbers(text) if x in digits(cited)]
    if share is not None and share < MIN_SUPPORT and not supported:
        raise Ungrounded(f"the LLM answer is not in the blocks it cites ({share:.0%} of its wording is)")


def _cited(text: str, used: list[int], blocks: Sequence[Block], prep: Prepared) -> tuple[str, list[Citation]]:
    """(the answer with its references renumbered 1, 2, … in the order cited, a citation for each)."""
    renumber: dict[int, int] = {}
    citations: list[Citation] = []
    for n in used:
        renumber[n] = len(citations) + 1
        citations.append(_citation(blocks[n - 1], text, prep))
    return REF.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text), citations


def leaks_prompt(text: str, system: str, window: int = 16) -> bool:
    """True when the answer quotes the system rules (a prompt-injection "repeat your instructions")."""
    # the rules themselves, not the example sentences they quote (an answer may well look like those)
    rules = re.sub(r"\s+", "", re.sub(r"[“\"][^”\"]*[”\"]", "", system))
    flat = re.sub(r"\s+", "", text)
    return any(rules[i : i + window] in flat for i in range(0, max(len(rules) - window, 0), 4))


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


def _best_supported(text: str, blocks: Sequence[Block], question: str) -> int | None:
    """The block that holds most of an answer given without any reference, if it holds most of it."""
    shares = [(support(text, b.text, question, own_only=True) or 0.0, n) for n, b in enumerate(blocks, 1)]
    share, n = max(shares, default=(0.0, 0))
    return n if share >= 0.5 else None


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


def _append_ref(sentence: str, n: int) -> str:
    """`sentence` with [n] before its final punctuation."""
    stop = re.search(r"[。；！？.]?\s*$", sentence)
    at = stop.start() if stop else len(sentence)
    return sentence[:at] + f"[{n}]" + sentence[at:]
