"""The prompt of a generative answer: the Chinese templates (prompts/), the numbered context blocks (whole
retrieved chunks, or the few sentences around the best evidence) and the user's earlier questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.errors import ConfigError
from bot.text.analysis import sentence_spans
from bot.text.injection import strip_instructions, without_flagged
from bot.types import Hit

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

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


def parse_example(text: str) -> tuple[str, str]:
    """The worked example file: the question turn, a line `---`, the answer turn."""
    question, sep, answer = text.partition("\n---\n")
    if not sep:
        raise ConfigError("prompts/compact_example.md needs a line '---' between the question and the answer")
    return question.strip(), answer.strip()
