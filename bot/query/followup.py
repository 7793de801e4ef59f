"""Follow-ups: what a question leaves to the one before it ("那嘉定区呢？", "其中…"), and the item of the
previous answer a question points at ("第一个是怎么造成的？")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.text.injection import strip_instructions
from bot.text.numerals import arabic
from bot.types import HistoryTurn

# a question word: a follow-up without one ("那会办的呢？") asks what the question before it asked
ASKS = re.compile(r"多少|几|什么|啥|哪|谁|怎么|怎样|如何|吗|是否|有没有|为什么|为何|比例|占比|排名|第几")
FOLLOWUP_SUB = re.compile(r"^(?:那|那么|那个|还有|换成|再看看?)?\s*(.{1,20}?)\s*(?:呢|的呢|怎么样|如何)\s*[？?。!！]*$")
ANAPHORA = re.compile(r"^(?:那|那么)?\s*(其中|这些|这个|这项|这部|这里|那些|他们|它们|该|上述|此|其|这|那)")
# a follow-up pointing at an item of the answer before it: "第一个是怎么造成的？", "第二条呢", "最后一点"
_ORDINAL = re.compile(r"第\s*([一二三四五六七八九十\d]{1,2})\s*(?:个|条|项|点|件|种|类|是)|最后一?\s*(?:个|条|项|点)")
# where the items of an answer begin: "一是…", "二是…", "；", "（一）", "1."
_ITEM_BREAK = re.compile(
    r"[；;。]|(?<![\d一二三四五六七八九十])[一二三四五六七八九十]是|（[一二三四五六七八九十]）|(?<!\d)\d[.、．]"
)


def ordinal_resolved(q: str, history: Sequence[HistoryTurn]) -> str:
    """The question with its "第一个" written as that item of the previous answer ("劳动仲裁案件积压较多是怎么造成
    的？"), so that the item's words are asked and retrieved; the question itself when it points at none."""
    m = _ORDINAL.search(q)
    answer = next((t.content for t in reversed(history) if t.role == "assistant" and t.content.strip()), "")
    if not m or not answer:
        return q
    items = [x.strip(" ，,、：:") for x in _ITEM_BREAK.split(re.sub(r"\[\d+\]", "", answer))]
    items = [x for x in items if len(x) >= 2]
    if not items:
        return q
    if m.group(1):
        digits = m.group(1) if m.group(1).isdigit() else re.sub(r"\D", "", arabic(m.group(1) + "个"))
        n = int(digits or 0)
        if not 1 <= n <= len(items):
            return q
        item = items[n - 1]
    else:
        item = items[-1]
    return q[: m.start()] + strip_instructions(item) + q[m.end() :]
