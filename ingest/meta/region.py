"""The place a report is about: the divisions its head and opening name, the scope it speaks for (全市, 我区),
and the division of an administrative code."""

from __future__ import annotations

import re
from collections import Counter

from bot.text.gazetteer import Gazetteer, named_areas
from bot.types import Region

HAN = r"[\u4e00-\u9fa5]"
OPENING_CHARS = 300


def region_of(words: str, context: str) -> Region:
    """The region a few words name (an issuer, a title), hierarchy filled in, ambiguity settled by context."""
    g = Gazetteer.default()
    found = g.resolve(words)
    district = found["district"]
    if district and not found["city"] and g.lookup(district):
        found = {**g.parents_of(district, context), **{k: v for k, v in found.items() if v}}
    elif district and not found["city"] and not found["province"] and not g.is_division(district):
        # a named area the gazetteer does not know (泾河新城): the one city its text names ("按照西安市…标准")
        cities = {c.city or c.name for m in g.find(context) if m.level == "city" for c in m.candidates[:1]}
        if len(cities) == 1:
            found = {**g.resolve(cities.pop()), "district": district}
    return Region(**found)


def head_region(title: str | None, breadcrumb: str | None, opening: str, text: str, level: str | None) -> Region:
    """The region named by the head of the report; else the body's most mentioned place at the issuer's level.

    The opening's first sentence comes before the rest of it: "2022年，哈尔滨市紧紧围绕…" names the report's
    place, a district praised two sentences later does not.
    """
    first_sentence = re.split(r"[。！？]", opening, maxsplit=1)[0]
    for src in (title, breadcrumb, first_sentence):
        if src:
            region = region_of(src, (title or "") + opening + text[:3000])
            if region.names():
                return region
    # an opening that speaks for a whole province (全省各级政府…, and no 市委/全市) names its cities as examples
    scoped = _scope_place(opening, text)
    if scoped and not _CITY_VOICE.search(opening):
        return region_of(scoped, opening)
    region = region_of(opening, (title or "") + opening + text[:3000])
    if region.names():
        return region
    if scoped:
        return region_of(scoped, opening)
    by_level: dict[str, Counter[str]] = {"district": Counter(), "city": Counter(), "province": Counter()}
    for m in Gazetteer.default().find(text):
        # 重庆市: a city too
        by_level["city" if m.text.endswith("市") and m.level == "province" else m.level][m.text] += 1
    areas = Counter(named_areas(text))
    new_areas = [a for a in areas if a.endswith("新区")]
    for area, n in areas.items():
        # "新区" alone refers back to the one named new area
        bare = text.count("新区") - sum(areas[a] for a in new_areas) if new_areas == [area] else 0
        by_level["district"][area] += n + bare
    wanted = ["city", "province"] if level in ("市", "省") else ["district", "city", "province"]
    province_voice = bool(_SCOPE["province"].search(opening)) and not _CITY_VOICE.search(opening)
    for lv in wanted:
        # a district must be named twice; a city or province named once is enough when it is the only one
        name = _dominant(by_level[lv], min_count=2 if lv == "district" or len(by_level[lv]) > 1 else 1)
        if name:
            region = region_of(name, text[:3000])
            if not region.city and lv == "district":
                region.city = _dominant(by_level["city"], min_count=1)
                region.province = region.province or region_of(region.city or "", "").province
            if province_voice and region.province:
                return Region(province=region.province)  # its cities are the province's, not the report's place
            return region
    return Region()


_SCOPE = {"province": re.compile(r"全省|我省|本省"), "city": re.compile(r"全市|我市|本市")}
_CITY_VOICE = re.compile(r"全市|我市|本市|市委|市政府|市人民政府")


def _scope_place(opening: str, text: str = "") -> str | None:
    """The province (or city) a report speaks for: "全省各级行政机关…考察安徽…" names 安徽 by its short name alone.

    Only when the opening speaks of 全省/我省 (全市/我市) and names exactly one province (city) at all; an
    opening that names none speaks for the province that the places of the whole text lie in, when one
    clearly dominates ("全省各级政府…", then 郑州市, 驻马店市… are all in 河南省).
    """
    g = Gazetteer.default()
    for level, scope in _SCOPE.items():
        if not scope.search(opening):
            continue
        named = {d.name for d in g.divisions if d.level == level and (d.name in opening or d.short in opening)}
        if len(named) == 1:
            return named.pop()
        if not named and level == "province":
            within: Counter[str] = Counter()
            for m in g.find(text):
                if len({c.province for c in m.candidates}) == 1:
                    within[m.candidates[0].province] += 1
            return _dominant(within, min_count=2)
    return None


_GOVERNMENT_SPEAKS = {
    "province": re.compile(r"省(?:人民)?政府"),
    "city": re.compile(r"市(?:人民)?政府"),
    "district": re.compile(r"[区县旗](?:人民)?政府"),
}
# "在区委、区政府的坚强领导下，…": the government that leads the writer, not the writer
_LED_BY = re.compile(rf"在{HAN}[^。，,]{{0,30}}?(?:领导|指导|支持|部署)下")


def speaks_for(region: Region, opening: str) -> bool:
    """The opening speaks for the whole of the report's place: 全省/我省 of a province-only region, or that
    place's government by its level, outside a "在…领导下" clause ("现将省政府2022年度法治政府建设情况报告如下",
    "2022年，区政府坚持…" of a district's report)."""
    voice = _LED_BY.sub("", opening)
    if region.district:
        return bool(_GOVERNMENT_SPEAKS["district"].search(voice))
    if region.city:
        return bool(_GOVERNMENT_SPEAKS["city"].search(voice))
    if region.province:
        return bool(_SCOPE["province"].search(voice) or _GOVERNMENT_SPEAKS["province"].search(voice))
    return False


def city_in_short(province: str, text: str) -> str | None:
    """The city of a "市X局" that the text names only in short ("海安主城区", "海安至如皋" for 海安市): the city or
    county-level city of the report's province named most, at least twice and twice as often as any other."""
    g = Gazetteer.default()
    cities = [
        d
        for d in g.divisions
        if d.province == province and d.name.endswith("市") and d.level in ("city", "district") and len(d.short) >= 2
    ]
    return _dominant(Counter({d.name: text.count(d.short) for d in cities if d.short in text}), min_count=2)


def province_in_short(text: str) -> str | None:
    """The province of a "省X厅" that the text names only in short or in full ("对广东系列重要讲话"): the one
    province it names, when it names exactly one."""
    g = Gazetteer.default()
    named = {
        d.name
        for d in g.divisions
        if d.level == "province" and (d.name in text or (len(d.short) >= 2 and d.short in text))
    }
    return named.pop() if len(named) == 1 else None


def _dominant(counts: Counter[str], min_count: int = 2) -> str | None:
    """The most mentioned name when it is mentioned at least `min_count` times and twice as often as any other."""
    if not counts:
        return None
    top = counts.most_common(2)
    name, n = top[0]
    if n < min_count or (len(top) > 1 and top[1][1] * 2 > n):
        return None  # no place clearly dominates: better unknown than wrong
    return name


def with_coded_division(region: Region, code: str, text: str) -> Region:
    """The region with the hierarchy of the division whose code the page's 索引号 gives (370402 → 山东省 枣庄市
    市中区), when the text names that division and the region found so far does not contradict it: a 市中区 of
    several cities is the one of the code."""
    d = Gazetteer.default().by_code(code)
    if d is None or not (d.name in text or (len(d.short) >= 2 and d.short in text)):
        return region
    coded = d.region()
    ours = {"province": region.province, "city": region.city, "district": region.district}
    if any(ours[k] and coded[k] and ours[k] != coded[k] for k in ours):
        return region
    if ours["district"] and not coded["district"] and ours["city"] != coded["city"] and ours["city"]:
        return region
    return Region(**{k: ours[k] or coded[k] for k in ours})


def find_region(issuer: str | None, title: str | None, text: str) -> Region:
    """Province, city and district of a report: those its issuer names, else those its head names."""
    if issuer:
        region = region_of(issuer, (title or "") + text[:3000])
        if region.names():
            return region
    return head_region(title, None, text[:OPENING_CHARS], text, level=None)
