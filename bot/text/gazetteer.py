"""Finding place names in text with China's administrative divisions (`bot.text.divisions`, jionlp's data).

jionlp's own `parse_location` picks one place from whatever text it is given, while we need every place in a
text with its position.

Names are matched leftmost-longest, so "上城区市场监督管理局" gives 上城区 and never the "城区市" inside it. A
full name (宝安区, 深圳市) is matched anywhere; a short name (宝安, 深圳) only where the caller allows it, because
short names are often ordinary words (中山路, 长安街). County names that are ordinary words (城区, 郊区, 矿区)
count only right after their own city.

Named areas that are not divisions (两江新区, 高新区 of a city, 经开区) are found by their suffix
(`bot.text.areas`) and get their parent city from the text around them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from bot.text import areas
from bot.text.divisions import LEVELS, Division, PlaceMatch, parse_gazetteer, read_lines, strip_level

# county-level names that are also ordinary words: only a place right after their own city ("阳泉市城区")
_COMMON_WORD_NAMES = frozenset({"城区", "郊区", "矿区", "新区", "开发区", "高新区", "经开区"})
# what may follow a short place name for it to be one: a level, a body, 的, 那边/这边, or the end of the text
_SHORT_CUE = re.compile(r"$|[市区县省州人委政的那这党局厅]|地区|两江|高新|经开|开发|新区|[0-9０-９]")


def _conjunction_led(text: str, i: int, word: str, after_place: bool) -> bool:
    """The 和县 of "国务院和县委" or "正确领导和县依法治县委员会" is 和 joining two words, not the county: a
    two-character name that begins with a conjunction counts only where a name can begin, at the start of a
    clause or right after another place ("安徽省和县", "，和县人社局")."""
    return (
        len(word) == 2
        and word[0] in "和与及暨并同"
        and i > 0
        and "\u4e00" <= text[i - 1] <= "\u9fa5"
        and not after_place
    )


class Gazetteer:
    """Looks up and finds place names; built once from the division list."""

    def __init__(self, divisions: Sequence[Division], towns: Sequence[tuple[str, Division]] = ()):
        self.divisions = list(divisions)
        self._by_code = {d.code: d for d in self.divisions if d.code}
        self._towns: dict[str, list[Division]] = {}  # a town's or street's name → the counties that have one
        self._towns_of: dict[str, list[str]] = {}  # a county's name → its towns and streets
        for town, county in towns:
            if county not in self._towns.setdefault(town, []):
                self._towns[town].append(county)
            self._towns_of.setdefault(county.name, []).append(town)
        self._full: dict[str, list[Division]] = {}
        self._short: dict[str, list[Division]] = {}
        for d in self.divisions:
            self._full.setdefault(d.name, []).append(d)
            short = d.short
            if len(short) >= 2 and short != d.name and not short.endswith(("区", "开发", "高新")):
                self._short.setdefault(short, []).append(d)
        for d in self.divisions:
            # an autonomous prefecture goes by its name and 州 in official writing too (昌吉州, 恩施州)
            if d.name.endswith("自治州") and len(d.short) >= 2 and d.short + "州" not in self._full:
                self._full[d.short + "州"] = [d]
        self._max = max(len(n) for n in self._full) if self._full else 0

    @classmethod
    @functools.cache
    def default(cls) -> Gazetteer:
        return cls(*parse_gazetteer(read_lines()))

    def by_code(self, code: str) -> Division | None:
        """The division of a six-digit administrative code (370402 → 市中区 of 枣庄市), or None."""
        return self._by_code.get(code)

    def is_town(self, name: str) -> bool:
        """A town, township or street the gazetteer knows (贤庠镇, 虹桥街道), somewhere."""
        return name in self._towns

    def towns_of(self, county: str) -> list[str]:
        """The towns and streets of a county (奉节县 → 鱼复街道, …), or [] for a name that is no county."""
        return list(self._towns_of.get(county, []))

    def county_of_town(self, town: str, context: str, within: Sequence[str] = ()) -> Division | None:
        """The county of a town or street, its namesakes elsewhere settled by the places `within` (the report's
        region so far) and then by how often `context` names each one's county, city and province."""
        exact = self._towns.get(town, [])
        # townships become towns and towns streets faster than gazetteers follow: 增福镇 may be listed as 增福乡
        stem = town.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        renamed = [c for s in ("镇", "乡", "街道") if stem + s != town for c in self._towns.get(stem + s, [])]
        cands = exact + [c for c in renamed if c not in exact]
        if within:
            cands = [c for c in cands if {c.name, c.city, c.province} & set(within)] or cands
        if not cands:
            return None
        scores = [(sum(context.count(x) for x in self._names_for(c.name, c.city, c.province)), c) for c in cands]
        best = max(s for s, _ in scores)
        top = [c for s, c in scores if s == best]
        if best == 0:
            # the only one of that name as written (a namesake under its older form is less likely than the
            # name itself), unless the text names places and none of them is its
            alone = len(exact) == 1
            return exact[0] if alone and not self.find(context, short_names=True) else None
        top = [c for c in top if c in exact] if len(top) > 1 else top  # a tie: the name as written wins
        return top[0] if len(top) == 1 else None

    def lookup(self, name: str) -> list[Division]:
        """Every division with this official or short name."""
        return list(self._full.get(name) or self._short.get(name) or [])

    def is_division(self, name: str) -> bool:
        return name in self._full

    def find(self, text: str, *, short_names: bool = False) -> list[PlaceMatch]:
        """Every place named in `text`, leftmost-longest, without overlaps; each with its candidates.

        A county whose name is an ordinary word (城区) counts only right after its own city. Candidates are
        narrowed by the places named around them: "鼓楼区" after "福州" is Fuzhou's, not Nanjing's.
        """
        raw: list[PlaceMatch] = []
        i, n = 0, len(text)
        while i < n:
            hit = self._longest(text, i, short_names, after_place=bool(raw) and raw[-1].end == i)
            if hit is None:
                i += 1
                continue
            raw.append(hit)
            i = hit.end
        return self._narrow(self._cued(text, raw))

    def _longest(self, text: str, i: int, short_names: bool, *, after_place: bool) -> PlaceMatch | None:
        for length in range(min(self._max, len(text) - i), 1, -1):
            word = text[i : i + length]
            full = self._full.get(word)
            if full and not _conjunction_led(text, i, word, after_place):
                return PlaceMatch(i, i + length, word, tuple(full), short=False)
            if short_names and word in self._short and not _continues_name(text, i + length):
                return PlaceMatch(i, i + length, word, tuple(self._short[word]), short=True)
        return None

    @staticmethod
    def _cued(text: str, matches: list[PlaceMatch]) -> list[PlaceMatch]:
        """Short names that the text shows are places: next to their parent or child ("深圳宝安", not the
        "平安" of "平安珠海" nor the "公安" of "宣城市公安局"), or followed by a level, a body or a pointing word
        ("天津人社局", "宝安区委", "天津的", "嘉定那边")."""
        out = []
        for k, m in enumerate(matches):
            if m.short:
                adjacent = (k > 0 and matches[k - 1].end == m.start and _related(matches[k - 1], m)) or (
                    k + 1 < len(matches) and matches[k + 1].start == m.end and _related(m, matches[k + 1])
                )
                after_other = k > 0 and matches[k - 1].end == m.start and not _related(matches[k - 1], m)
                if after_other or (not adjacent and not _SHORT_CUE.match(text, m.end)):
                    continue
                if areas.ends_an_area(Gazetteer.default(), text, m):
                    continue  # the 新城 of "泾河新城" (a new area's zone), not 新城区
            out.append(m)
        return out

    def _narrow(self, matches: list[PlaceMatch]) -> list[PlaceMatch]:
        names = {m.text for m in matches} | {c.name for m in matches for c in m.candidates if len(m.candidates) == 1}
        out: list[PlaceMatch] = []
        for k, m in enumerate(matches):
            prev = matches[k - 1] if k else None
            after_parent = prev is not None and prev.end == m.start
            if m.text in _COMMON_WORD_NAMES and (
                not after_parent or not any(c.city in _names_of(prev) for c in m.candidates)
            ):
                continue
            cands = m.candidates
            if len(cands) > 1:
                near = [c for c in cands if (c.city and _named(c.city, names)) or _named(c.province, names)]
                if after_parent and prev is not None:
                    near = [c for c in cands if c.city in _names_of(prev) or c.province in _names_of(prev)] or near
                cands = tuple(near) or cands
            out.append(PlaceMatch(m.start, m.end, m.text, cands, m.short))
        return out

    def resolve(self, text: str, *, short_names: bool = True) -> dict[str, str | None]:
        """{province, city, district} named by `text` (an issuer's or title's words), hierarchy filled in.

        The most specific unambiguous place wins; an ambiguous county ("白云区": Guangzhou or Guiyang) keeps
        its name and gets the parents its neighbours in `text` agree on, or none. Several districts of one city
        named alike (award winners of a city bureau: "海珠区…、黄埔区…") are parts of it: the text speaks for the city.
        """
        region: dict[str, str | None] = {"province": None, "city": None, "district": None}
        found = self.find(text, short_names=short_names)
        if _siblings(found):
            found = [m for m in found if m.level != "district"]
        for m in found:
            c = m.candidates
            if len({x.name for x in c}) == 1 and any(x.level == "province" for x in c):
                c = tuple(x for x in c if x.level == "province")  # 上海市: the province is its own city
            if len(c) == 1:
                _merge(region, c[0].region())
            else:
                level = c[0].level
                region[level] = region[level] or c[0].name
                common = {x.city for x in c}
                if len(common) == 1 and level == "district":
                    _merge(region, {"city": c[0].city})
                if len({x.province for x in c}) == 1:
                    _merge(region, {"province": c[0].province})
        area = named_area(text)
        if area and not region["district"]:
            region["district"] = area
            parent = area_parent(text)
            parents = self.lookup(parent) if parent else []
            parents = [d for d in parents if d.city] or parents  # (天津市: the city, not only the province)
            above = {(d.province, d.city) for d in parents}
            if len(above) == 1:  # the area's city and province: those of the place written with it
                province, city = above.pop()
                _merge(region, {"province": province, "city": city})
        return region

    def _names_for(self, *names: str | None) -> set[str]:
        """These divisions' full names and their short names of two characters or more."""
        out = {n for n in names if n}
        out |= {d.short for n in names if n for d in self._full.get(n, []) if len(d.short) >= 2}
        return out

    def parents_of(self, name: str, context: str) -> dict[str, str | None]:
        """The hierarchy of one place name, its ambiguity settled by the places `context` mentions."""
        cands = self.lookup(name)
        if not cands:
            return {}
        if len(cands) > 1:
            named = {m.text for m in self.find(context, short_names=False)}
            named |= {c.name for m in self.find(context, short_names=False) for c in m.candidates}
            # a parent counts by its full name and by its short one ("推动西宁…" for 西宁市)
            counts = [(sum(context.count(x) for x in self._names_for(c.city, c.province)), c) for c in cands]
            best = max(counts, key=lambda t: t[0])
            if best[0] == 0 and not any(_named(c.city or "", named) for c in cands):
                out = cands[0].region()
                return {k: (v if k == cands[0].level else None) for k, v in out.items()}
            return best[1].region()
        return cands[0].region()


def _related(outer: PlaceMatch, inner: PlaceMatch) -> bool:
    """`inner` lies in `outer` ("深圳" then "宝安"): one of its candidates has one of outer's as city or province."""
    names = _names_of(outer)
    return any(c.city in names or c.province in names for c in inner.candidates)


def _siblings(found: Sequence[PlaceMatch]) -> bool:
    """Two or more districts of one city are named and none of them is named twice as often as the next."""
    counts: dict[str, int] = {}
    cities: set[str | None] = set()
    for m in found:
        if m.level == "district" and len(m.candidates) == 1:
            counts[m.candidates[0].name] = counts.get(m.candidates[0].name, 0) + 1
            cities.add(m.candidates[0].city)
    if len(counts) < 2 or len(cities) != 1:
        return False
    top = sorted(counts.values(), reverse=True)
    return top[0] < 2 * top[1]


def _continues_name(text: str, j: int) -> bool:
    """A short name followed by more of a longer word ("中山路", "长安街") is not a place."""
    return j < len(text) and text[j] in "路街道巷桥村镇乡园湖山江河门寺"


def _names_of(m: PlaceMatch | None) -> set[str]:
    return {c.name for c in m.candidates} if m else set()


def _named(name: str | None, names: set[str]) -> bool:
    if not name:
        return False
    return name in names or strip_level(name) in names


def _merge(region: dict[str, str | None], new: dict[str, str | None]) -> None:
    for k in LEVELS:
        if new.get(k) and not region.get(k):
            region[k] = new[k]


def named_area(text: str) -> str | None:
    """A named area that is no division ("两江新区", "杭州高新区"), as the text writes it; None if none.

    A 新区 is named by the two characters before it ("重庆市两江新区" → 两江新区). A development zone
    (高新区, 经开区, 开发区) is named by the place before it ("杭州高新区"); alone it names nothing.
    """
    found = areas.named_areas(Gazetteer.default(), text, first_only=True)
    return found[0] if found else None


def named_areas(text: str) -> list[str]:
    """Every named area in `text` (see `named_area`), in order, with repeats."""
    return areas.named_areas(Gazetteer.default(), text)


def area_parent(text: str) -> str | None:
    """The place a named area is written with, before it or opening its name: 东莞 of "东莞滨海湾新区", 天津 of
    "天津经济技术开发区"; None when its name stands alone."""
    return areas.area_parent(Gazetteer.default(), text)
