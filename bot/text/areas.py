"""Named areas that are no administrative division: 两江新区, 杭州高新区, 天津经济技术开发区, 东疆综保区.

They are found by their suffix; a 新区 (综保区, 新城…) is named by the characters before it, a development zone
(高新区, 经开区, 开发区) by the place before it. Each function takes the gazetteer it reads place names from;
`bot.text.gazetteer` calls them with the default one (its `named_area`, `named_areas`, `area_parent`).
"""

from __future__ import annotations

import re
from typing import Protocol

from bot.text.divisions import Division, PlaceMatch


class DivisionLookup(Protocol):
    """What the named areas read of a gazetteer (`bot.text.gazetteer.Gazetteer`)."""

    def lookup(self, name: str) -> list[Division]: ...

    def is_division(self, name: str) -> bool: ...


# named areas that are not administrative divisions, recognised by their suffix
_AREA_NOT_NAME = re.compile(
    r"级|^(?:全国|各类|各个|相关|所在|辖区|全区|本区|该区|我区|示范|试点|高新|经开|开发|城市|一个|两个|建设|打造)"
)


def named_areas(g: DivisionLookup, text: str, *, first_only: bool = False) -> list[str]:
    """Every named area in `text`, in order, with repeats: a 新区 by the two characters before it
    ("重庆市两江新区" → 两江新区), a development zone (高新区, 经开区, 开发区) by the place before it ("杭州高新区");
    a development zone alone names nothing."""
    out: list[str] = []
    for m in _AREA_SUFFIX.finditer(text):
        before = text[max(0, m.start() - 8) : m.start()]
        place = _place_ending(g, before)
        if m.group(1) in _NAMED_BY_STEM:
            stem = _area_stem(g, before, m.group(1))
            if stem:
                out.append(stem + m.group(1))
        else:
            # "天津经济技术开发区", "成都高新技术产业开发区": a place, a descriptor, the suffix
            desc = _ZONE_DESCRIPTOR.search(before)
            place = _place_ending(g, before[: desc.start()]) if desc else place
            if place:
                out.append(place + (desc.group(0) if desc else "") + m.group(1))
        if first_only and out:
            break
    return [_written_out(a) for a in out]


def ends_an_area(g: DivisionLookup, text: str, m: PlaceMatch) -> bool:
    """Whether a short name ends a named area's name written just before it ("泾河新城" ends in 新城)."""
    if m.start == 0 or not "\u4e00" <= text[m.start - 1] <= "\u9fa5":
        return False
    found = named_areas(g, text[max(0, m.start - 3) : m.end], first_only=True)
    area = found[0] if found else ""
    return area.endswith(m.text) and len(area) > len(m.text)


def _area_stem(g: DivisionLookup, before: str, suffix: str) -> str | None:
    """The name before a 新区 (综保区…): its two characters ("两江"), or three when they alone stand between a
    clause's start or a place and the suffix ("，滨海湾新区", "东莞滨海湾新区")."""
    three = before[-3:]
    start = len(before) - 3
    if (
        len(three) == 3
        and _HAN3.match(three)
        and three[0] not in "省市区县州的在和与"
        and (start == 0 or not _HAN1.match(before[start - 1]) or _place_ending(g, before[:start]))
        and _stem_ok(g, three, suffix)
        and not g.lookup(three[1:])
    ):
        return three
    stem = before[-2:]
    return stem if len(stem) == 2 and _HAN2.match(stem) and _stem_ok(g, stem, suffix) else None


def _stem_ok(g: DivisionLookup, stem: str, suffix: str) -> bool:
    return (
        not _AREA_NOT_NAME.search(stem)
        and stem[-1] not in "省市区县"
        and not g.is_division(stem + suffix)
        and not _is_verb_stem(stem)
    )


def area_parent(g: DivisionLookup, text: str) -> str | None:
    """The place a named area is written with, before it or opening its name: 东莞 of "东莞滨海湾新区", 天津 of
    "天津经济技术开发区"; None when its name stands alone."""
    found = named_areas(g, text, first_only=True)
    area = found[0] if found else None
    if not area:
        return None
    at = text.find(area)
    for k in range(min(len(area) - 2, 8), 1, -1):
        # (a city or province opening the name: the 滨海 of 滨海湾新区 is no county of it)
        if any(d.level != "district" for d in g.lookup(area[:k])):
            return area[:k]
    return _place_ending(g, text[max(0, at - 8) : at]) if at > 0 else None


def _written_out(area: str) -> str:
    for short, full in _ZONE_ABBREVIATIONS.items():
        if area.endswith(short):
            return area[: -len(short)] + full
    return area


def _is_verb_stem(stem: str) -> bool:
    """ "打造新区", "促进新区": a verb before 新区 makes it the bare word, not a name."""
    import jieba.posseg as pseg

    words = pseg.lcut(stem)
    return len(words) == 1 and words[0].flag.startswith(("v", "d", "p", "r", "a"))


def _place_ending(g: DivisionLookup, before: str) -> str | None:
    """The place name that `before` ends with ("…杭州" → 杭州), if any."""
    for k in range(min(len(before), 8), 1, -1):
        tail = before[-k:]
        if g.lookup(tail):
            return tail
    return None


_ZONE_DESCRIPTOR = re.compile(r"(?:经济技术|高新技术产业|高新技术|经济|工业|产业)$")
# a zone's short suffix written out, so that both ways of writing one zone name the same area
_ZONE_ABBREVIATIONS = {"综保区": "综合保税区"}
_AREA_SUFFIX = re.compile(r"(综合保税区|综保区|保税区|自贸区|高新区|经开区|开发区|新区|新城(?!区))")
# areas named by the two characters before the suffix (两江新区, 东疆综保区); the others by the place before them
_NAMED_BY_STEM = frozenset({"新区", "新城", "综合保税区", "综保区", "保税区", "自贸区"})
_HAN1 = re.compile(r"^[\u4e00-\u9fa5]$")
_HAN2 = re.compile(r"^[\u4e00-\u9fa5]{2}$")
_HAN3 = re.compile(r"^[\u4e00-\u9fa5]{3}$")
