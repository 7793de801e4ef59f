"""Chinese numerals as Arabic digits, for matching facts: "四年" → "4年", "两人" → "2人", "百分之八十" → "80%".

Conversion uses `cn2an` (MIT, https://github.com/Ailln/cn2an: a maintained converter with its own tests), but
only on a numeral that counts something: followed by a measure word, or inside 百分之…. Applied to a whole
sentence cn2an also turns words into digits ("统一" → "统1", "一审" → "1审", "一是" → "1是"); a numeral
inside a word, or an ordinal like 第一, is therefore left as written. The output is for comparing facts only;
quotes always come from the original text.
"""

from __future__ import annotations

import functools
import re
import warnings

_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# measure words and units a counted fact uses (件, 人次, 万元…); longest first so 人次 wins over 人
MEASURES = sorted(
    (
        "个 件 件次 宗 起 例 次 人次 场 期 轮 回 批 人 名 位 户 家 所 项 条 类 款 部 份 本 则 篇 天 日 个工作日 工作日 "
        "张 年 个月 月 周 小时 学时 课时 元 万元 亿元 岁 倍 支 个百分点 台 辆 套 处 座 亩 平方米 公里 号 分"
    ).split(),
    key=len,
    reverse=True,
)
_NUMERAL = re.compile(
    rf"(?<![{_DIGITS}第初周星礼0-9.０-９])([{_DIGITS}]+)(?=(?:余|多)?(?:{'|'.join(map(re.escape, MEASURES))}))"
)
_PERCENT = re.compile(rf"百分之([{_DIGITS}]+(?:点[{_DIGITS}]+)?)")
# words in which a numeral is part of the word, not a count (一是 starts a list item; 一审 is a court stage)
_IN_WORD = re.compile(r"一[是审把律起般切些直致同样定道体共手线心批次性]|[二三四五六七八九]是|二审|三审")


@functools.cache
def _cn2an() -> object:
    import cn2an

    return cn2an


def _to_number(numeral: str) -> str | None:
    if numeral == "两":
        return "2"
    if numeral[0] in "百千":
        numeral = "一" + numeral  # "百余条", "千余人": a hundred, a thousand (万元 alone is a unit, not 10000元)
    mod = _cn2an()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = mod.cn2an(numeral.replace("两", "二").replace("〇", "零"), "smart")  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError):
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def arabic(text: str) -> str:
    """`text` with each counted Chinese numeral written in digits (see the module's docstring)."""
    if not any(ch in _DIGITS for ch in text):
        return text

    def percent(m: re.Match[str]) -> str:
        n = _to_number(m.group(1).replace("点", "."))
        if n is None and "点" in m.group(1):
            whole, _, frac = m.group(1).partition("点")
            w = _to_number(whole)
            digits = "".join(_to_number(ch) or "" for ch in frac)
            n = f"{w}.{digits}" if w is not None and digits else None
        return f"{n}%" if n is not None else m.group(0)

    def count(m: re.Match[str]) -> str:
        if _IN_WORD.match(text, m.start()):
            return m.group(0)
        numeral, tail = m.group(1), ""
        if len(numeral) > 1 and numeral[-1] in "万亿":
            numeral, tail = numeral[:-1], numeral[-1]  # "两万元" → "2万元", as reports write it
        n = _to_number(numeral)
        return n + tail if n is not None else m.group(0)

    return _NUMERAL.sub(count, _PERCENT.sub(percent, text))


_MEASURE_AT = re.compile(rf"(?:余|多)?({'|'.join(map(re.escape, MEASURES))})")


def counted_numerals(text: str) -> list[tuple[str, str, int, int]]:
    """(value in digits, measure word, start, end) of each counted Chinese numeral in `text`, offsets into it.

    "连续四年" → ("4", "年", 2, 4); "两人" → ("2", "人", 0, 2). Numerals inside words are skipped, as in
    `arabic`.
    """
    out: list[tuple[str, str, int, int]] = []
    for m in _NUMERAL.finditer(text):
        if _IN_WORD.match(text, m.start()):
            continue
        numeral = m.group(1)
        if len(numeral) > 1 and numeral[-1] in "万亿":
            numeral = numeral[:-1]
        value = _to_number(numeral)
        unit = _MEASURE_AT.match(text, m.end())
        if value is None or unit is None:
            continue
        out.append((value, unit.group(1), m.start(), unit.end()))
    return out
