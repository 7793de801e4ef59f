"""What every converter shares: the line cleaner, heading lines, and the official numbering the parser ranks
headings by."""

from __future__ import annotations

import re

Converted = tuple[str, list[int] | None]
"""A converter's result: the text, and for a PDF the offset where each page begins in it."""

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\r\n\f\v\xa0\u3000]+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u3000\u2002\u2003\u200b\ufeff]+")
_CN_DIGITS = "一二三四五六七八九十百零〇两"
# The official numbering the parser ranks headings by (kept in step with ingest.parse.lines.HEADING_STYLES).
NUMBERED = re.compile(
    rf"^(第[{_CN_DIGITS}\d]+[章部篇节]|[{_CN_DIGITS}]+(?:[、．]|\.(?!\d))|[（(][{_CN_DIGITS}]+[）)]"
    r"|\d{1,2}(?:[、．]|\.(?!\d))|[（(]\d{1,2}[）)]|[①②③④⑤⑥⑦⑧⑨⑩])"
)
SENT_FINAL = "。！？；：!?;:"
CELL_SEP = "｜"


def clean_line(s: str, *, join_cjk: bool) -> str:
    """One line of converted text: whitespace runs made one space, ends trimmed; with `join_cjk`, the
    whitespace between two CJK characters (source line wraps, layout spaces) removed."""
    if join_cjk:
        s = _SPACE_IN_CJK.sub("", s)
    return _SPACES.sub(" ", s).strip()


def heading_line(text: str, level: int) -> str:
    """A heading as a line: as it is when officially numbered, else marked ``#`` × level for the parser."""
    if not text or NUMBERED.match(text):
        return text
    return "#" * max(1, min(level, 6)) + " " + text
