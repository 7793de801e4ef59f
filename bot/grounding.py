"""What a real model writes, made checkable: Markdown and reference forms cleaned, refusals recognised,
numbers compared in digits, and the share of an answer's wording that its cited blocks hold.

Each rule answers something a model was seen to do (tests/test_grounding.py replays those outputs): a
1.5B model on the CPU echoed the prompt's block headers, refused in its own words without CANNOT_ANSWER,
wrote 二十八件 for 28件, cited [1] for a fact of block [3], stopped at a lead-in ("…从以下几方面入手：").
"""

from __future__ import annotations

import re
import unicodedata

from bot.text.analysis import char_ngrams
from bot.text.numerals import arabic, counted_numerals

REF = re.compile(r"\[(\d{1,2})\]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# [资料2] [编号2] [来源2] 【2】 [1, 2] [1、2] [1][2]: the forms of a reference, written [1][2]
_REF_FORMS = re.compile(r"[\[【]\s*(?:资料|编号|来源|文档|参考)?\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】]")
_FENCE = re.compile(r"^\s*```[\w-]*\s*$", re.M)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)、])\s+", re.M)
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_LEAD = re.compile(r"^\s*(?:答案|回答|答)\s*[:：]\s*")
# a line that repeats a block's header from the prompt: "[5] 《…报告》 三、… > (一)…" ("[5] " and "《" may be missing)
_ECHOED_HEADER = re.compile(r"^[^\n]*》[ \t]+[^\n]*\S[ \t]+>[ \t]+[^\n]*$", re.M)

REFUSAL = re.compile(
    r"(?:资料|报告|文中|原文|上述|以上|所给|提供的)[^。；\n]{0,12}?"
    r"(?:没有|未|并未|无|不)(?:提到|提及|涉及|给出|说明|包含|记载|披露|找到|相关|具体)"
    r"|无法(?:回答|确定|得知|判断|根据|从)|不能(?:回答|确定)|没有(?:找到)?相关(?:信息|内容|数据|资料)"
)


def clean(text: str) -> str:
    """The answer without Markdown and with every reference written [n]."""
    text = (text or "").strip().replace("［", "[").replace("］", "]")
    text = _FENCE.sub("", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _LEAD.sub("", text)
    text = _REF_FORMS.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d{1,2}", m.group(1))), text)
    return text.strip()


def drop_echoed_headers(text: str) -> str:
    """The answer without lines that repeat the prompt's block headers."""
    return _ECHOED_HEADER.sub("", text).strip()


def is_refusal(text: str) -> bool:
    """The model says, in its own words, that the blocks do not answer."""
    return bool(REFUSAL.search(REF.sub("", text)))


def is_lead_in(text: str) -> bool:
    """The answer stops where its content should begin ("…主要有以下几个方面：")."""
    body = REF.sub("", text).strip().rstrip("。")
    return body.endswith(("：", ":", "如下", "以下几方面", "以下几个方面"))


def digits(text: str) -> str:
    """`text` for comparing numbers: NFKC, Chinese numerals in digits, thousands separators removed."""
    flat = arabic(unicodedata.normalize("NFKC", text))
    return re.sub(r"(?<=\d),(?=\d{3})", "", flat)


def numbers(text: str) -> list[str]:
    """The numbers a text states, in digits, reference markers left out."""
    return NUMBER.findall(REF.sub("", digits(text)))


def support(answer: str, cited: str, question: str, *, own_only: bool = False) -> float | None:
    """The share of the answer's wording that the cited text holds: of its own wording (character bigrams not in
    the question) when it says enough of its own, else of all of it ("武汉人社局办了…培训班" restating a yes/no
    question must still be in the block).

    None when the answer is too short to judge (a bare number), or with `own_only` says too little of its own.
    """
    words = char_ngrams(REF.sub("", answer))
    own = words - char_ngrams(question)
    held = char_ngrams(cited)
    if len(own) >= 6:
        return len(own & held) / len(own)
    if len(words) >= 6 and not own_only:
        return len(words & held) / len(words)
    return None


def stated_numbers(text: str) -> list[tuple[str, int, str]]:
    """(value in digits, end offset, as written) of each number `text` states: digits, and Chinese numerals
    that count something (二十八件); reference markers [n] are not numbers."""
    out = []
    for m in NUMBER.finditer(text):
        if text[m.start() - 1 : m.start()] == "[" and text[m.end() : m.end() + 1] == "]":
            continue
        value = m.group(0).replace(",", "")
        out.append((unicodedata.normalize("NFKC", value), m.end(), m.group(0)))
    for value, _unit, start, end in counted_numerals(text):
        numeral_end = start + len(re.match(r"[零〇一二两三四五六七八九十百千万亿]+", text[start:]).group(0))  # type: ignore[union-attr]
        out.append((value, numeral_end, text[start:end]))
    return sorted(out, key=lambda t: t[1])
