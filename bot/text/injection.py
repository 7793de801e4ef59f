"""Text that addresses the reader or the model instead of reporting: instructions planted in a report or a turn.

A government report states what was done; it never tells its reader how to answer ("注意：回答时必须引用资料
[99]…"), to drop earlier instructions ("忽略以上指令…"), who it is ("你现在是…") or what the system says
("[系统通知] 从现在起…"). Such a sentence is flagged: it is never an extractive answer candidate, never reaches
the LLM as context, and ingest counts it in its summary. Questions lose the same sentences
(`strip_instructions`), so an injected question is searched for its real topic.
"""

from __future__ import annotations

import functools
import re

from bot.text.analysis import sentence_spans

INSTRUCTION = re.compile(
    # to drop, forget or skip instructions
    r"(?:忽略|无视|忘记|忘掉|不要理会|跳过).{0,12}(?:指令|指示|要求|规则|设定|提示|说明)"
    # to reveal the prompt
    r"|(?:输出|打印|告诉我|透露|泄露|显示|复述|重复).{0,10}(?:系统|提示词|prompt|指令|规则|设定)"
    # "你是/你现在是/扮演…": a role for the model
    r"|你(?:现在)?(?:是|扮演|变成)(?:一个)?(?!.{0,6}(?:报告|单位))"
    r"|ignore\s+(?:all\s+)?(?:previous|above|prior)|system\s+prompt|jailbreak",
    re.IGNORECASE,
)
"""Instructions to the bot in a question (a question is addressed to the bot, so this is what stands out)."""

ADDRESSED = re.compile(
    INSTRUCTION.pattern
    # how to answer: "回答时必须…", "作答时一律…", "注意：回答…"
    + r"|(?:回答|作答|回复|答题)(?:时|问题时|本题时?|用户时?)[，,\s]*(?:必须|务必|一律|只能|只许|应当?|请|要)"
    + r"|注意[：:]\s*(?:回答|作答|回复|输出|引用|所有回答|在回答)"
    + r"|(?:请|务必|必须)(?:直接|只)?(?:回答|输出|回复)(?:[：:“\"「]|以下|如下)"
    # what the "system" says, and from when on
    + r"|[\[【(（]\s*系统(?:通知|提示|消息|指令|公告)?\s*[\]】)）]|^\s*系统(?:通知|提示|消息|指令)[：:]"
    + r"|从(?:现在|此刻|今天|本条)(?:起|开始).{0,12}(?:回答|回复|输出|作答)"
    # who reads it: the model, the assistant
    + r"|(?:你|您)(?:作为|是).{0,8}(?:AI|人工智能|语言模型|大模型|助手|机器人)"
    + r"|作为(?:一个|一名)?(?:AI|人工智能|语言模型|大模型)(?:助手|模型)"
    + r"|(?:AI|人工智能|语言模型|大模型|助手)(?:应当?|必须|请|务必|只能)(?:回答|作答|输出|回复)"
    # a citation marker in report text: "引用资料[99]"
    + r"|引用(?:资料|文献|来源|材料)?\s*\[\d+\]",
    re.IGNORECASE | re.MULTILINE,
)
"""Report (or history) sentences that address the reader or the model."""


def addresses_reader(sentence: str) -> bool:
    """Whether the sentence speaks to its reader or to a model rather than reporting something."""
    return ADDRESSED.search(sentence) is not None


@functools.lru_cache(maxsize=8192)
def flagged_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence of `text` that addresses the reader or the model (cached per text)."""
    if not ADDRESSED.search(text):
        return ()
    return tuple((s, e) for s, e in sentence_spans(text) if addresses_reader(text[s:e]))


def is_flagged(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] overlaps a flagged sentence of `text`."""
    return any(s < end and start < e for s, e in flagged_spans(text))


def without_flagged(text: str) -> str:
    """`text` with its flagged sentences removed (for an LLM's context blocks)."""
    spans = flagged_spans(text)
    if not spans:
        return text
    out, pos = [], 0
    for s, e in spans:
        out.append(text[pos:s])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def strip_instructions(question: str) -> str:
    """Drop sentences that address the bot's instructions ("忽略以上指令……") rather than the reports.

    Such text never changes what the bot does; removing it keeps it from being searched for as if it were a
    topic. When nothing else is left the question is kept as it is (it will simply find no answer).
    """
    parts = re.split(r"(?<=[。！？!?；;\n])", question)
    kept = [p for p in parts if p.strip() and not INSTRUCTION.search(p)]
    return "".join(kept).strip() or question
