"""Place names in text: real administrative divisions from the gazetteer (`bot.text.gazetteer`), plus named areas.

Only names the gazetteer knows are places, so words that merely end in a level ("全区", "两个区") or a
substring of a longer name ("城区" inside 上城区) never become one.
"""

from __future__ import annotations

from bot.text.divisions import strip_level
from bot.text.gazetteer import Gazetteer, named_area


def stem(name: str) -> str:
    """'白云区' → '白云', '两江新区' → '两江', '武汉市' → '武汉': the gazetteer's short name, else the bare stem."""
    for d in Gazetteer.default().lookup(name):
        if d.name == name and len(d.short) >= 2 and d.short != name:
            return d.short
    return strip_level(name)


def mentions(text: str, *, short_names: bool = False) -> list[str]:
    """Every place named in `text` by its official name (or also its short name), in order, without repeats."""
    out: list[str] = []
    # read with short names even when only official ones are wanted: "信阳新县" is 信阳's 新县, not 阳新县
    for m in Gazetteer.default().find(text, short_names=True):
        if m.short and not short_names:
            continue
        name = m.candidates[0].name if m.short else m.text
        if name not in out:
            out.append(name)
    area = named_area(text)
    if area and area not in out:
        out.append(area)
    return out
