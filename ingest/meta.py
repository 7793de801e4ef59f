"""Report metadata from the text itself: title, issuer, region, years covered, publish date.

Everything is inferred from patterns of official writing (a title line, an issuer name in front of an
organisation suffix, the self-reference 我局/我队, dates in several forms); a manifest may override any field.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bot.orgs import Org, bureau_kind, first_org, orgs, town_body, town_of_title
from bot.text.analysis import tagged, to_simplified
from bot.text.gazetteer import Gazetteer, named_areas
from bot.text.places import stem as stem_of
from bot.types import Region, ReportMeta
from ingest.load import RawReport

_HAN = r"[\u4e00-\u9fa5]"
# a year: "2021年", or the first of a range "2019—2021"; not the year of a date (2024-03-08) or of an index
# number (/2026-00005), which say when a page was filed, not what it covers
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|(?=(?:—|-|–|～|~|至)\s*(?:19|20)\d{2}(?!\d)))")
_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*(?:—|-|–|～|~|至|到)\s*((?:19|20)\d{2})\s*年")
_SINCE = re.compile(r"((?:19|20)\d{2})\s*年以来")
_DATE_FORMS = [
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})"),
]
_OPENING_CHARS = 300
# the line a report is addressed to ("中共长沙市委、长沙市人民政府：", "市委："): its readers, not its writer
_ADDRESSEE = re.compile(rf"^\s*(?:{_HAN}{{0,20}}?(?:委|政府|委员会|常委会)[、，,\s]*)+[:：]\s*$\n?", re.M)


def parse_date(s: str) -> str | None:
    for pat in _DATE_FORMS:
        m = pat.search(s)
        if m:
            y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _region_of(words: str, context: str) -> Region:
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


def find_issuer(
    title: str | None,
    text: str,
    *,
    breadcrumb: str | None = None,
    signature: str | None = None,
    poster: str | None = None,
) -> tuple[str | None, Region]:
    """The body that wrote the report and its region, from the title, signature, breadcrumb and opening.

    Places the body merely mentions (award winners, districts of a city) never make the issuer. The opening's
    "区人力资源局" or "我局" takes its place from the head of the report ("宝安区委" in the opening) and its
    full name from the body when the body writes it out with that place ("天津市人力资源和社会保障局").
    """
    opening = _ADDRESSEE.sub("", text[: _OPENING_CHARS + 40])[:_OPENING_CHARS]
    head = " ".join(x for x in (title, signature, breadcrumb, opening) if x)
    if not first_org(title or "", prefixed_only=True):
        town = town_of_title(title or "") or _speaking_town(opening, text)
        if town:  # a town's or street office's own report
            return _town_issuer(town, title, breadcrumb, opening, text)
    joint = _JOINT_TITLE.match(title or "")
    if joint:  # "中共海南省委 海南省人民政府关于…的报告": both bodies issued it
        bodies = re.sub(r"[\s、]+", " ", joint.group(1).strip())
        return bodies, _region_of(bodies.split()[-1], head + text[:3000])
    for src in (title, signature):
        org = first_org(src or "", prefixed_only=True)
        if org:
            return _with_full_name(org.name, text), _region_of(org.name, head + text[:3000])
    # a title naming its body by level ("2022年区人力社保局…年度报告") says who wrote it before the opening does
    titled = first_org(title or "")
    org = (titled if titled and titled.level else None) or first_org(opening)
    org = org or first_org(breadcrumb or "", prefixed_only=True)
    region = _head_region(title, breadcrumb, opening, text, level=org.level if org else None)
    if org is None:
        sector = _sector_body(opening, text)
        if sector:  # "全市卫生健康系统…": the sector's own body, as the text names it with its place
            return sector, _region_of(sector, head + text[:3000])
        return _government_of(region, title, opening), region
    if org.prefixed:
        return _with_full_name(org.name, text), _region_of(org.name, head + text[:3000])
    posted = _posted_as(org, poster)
    if posted:  # "市水务局…" on a page its date line says "武汉市水务局" posted: the poster, by its full name
        return posted.name, _region_of(posted.name, head + text[:3000])
    if org.name[:1] in "我本":
        named = _self_named(org.body, region, text)
        if not named and not title and region.district:
            # a page with no title, its district only the one its text names most: the city's body may be
            # the one that speaks ("请联系我局", "《韶关市住房和城乡建设管理局…办法》")
            above = Region(province=region.province, city=region.city)
            named = _self_named(org.body, above, text)
            if named:
                return named, above
        by_level = None if named else _self_by_level(org.body, text)
        if by_level is None:
            return named, region
        org = by_level  # "我局…", and once "市应急管理局": the report's city's bureau, as a level-named body is
    # a body prefixed by its level alone belongs to the report's place of that level: "市交通运输局" is no
    # province's bureau when only the province is known
    place = {"省": region.province, "市": region.city}.get(org.level or "", region.district)
    if not place and org.level == "市" and region.province:
        city = _city_in_short(region.province, text)
        if city:
            region = _region_of(city, text[:3000])
            place = city
    if not place:
        # "区管委会" of a zone named without its city ("高新区坚持…"): the zone's committee, if the head has one
        return (_government_of(region, title, opening) if "管" in org.body else None), region
    # "市人社局" writes for the city: a district the head names (its address, a winner) is not the report's
    if org.level == "省":
        region = Region(province=region.province)
    elif org.level == "市" and place != region.district:  # (a county-level city keeps itself)
        region = Region(province=region.province, city=region.city)
    prefix = place
    if place == region.district and region.city and region.city != place and not place.endswith("市"):
        prefix = region.city + place  # (a county-level city goes by its own name: 海安市交通运输局)
    return _with_full_name(prefix + org.body, text), region


# a report that speaks for a sector of its place: "全市卫生健康系统…", "全区交通运输系统"
_SECTOR_VOICE = re.compile(r"(?:全|我)[市区县省州]([\u4e00-\u9fa5]{2,8}?)(?:系统|战线|行业)")


def _sector_body(opening: str, text: str) -> str | None:
    """The body of the sector a report speaks for ("全市卫生健康系统" → the 南京市卫生健康委员会 the text
    names), when the text names exactly one such body with its place."""
    m = _SECTOR_VOICE.search(opening)
    if not m:
        return None
    sector = m.group(1)
    named = orgs(text[:3000], prefixed_only=True, titles=True)
    names = {o.name for o in named if sector in o.body and not o.leadership}
    return names.pop() if len(names) == 1 else None


def _posted_as(org: Org, poster: str | None) -> Org | None:
    """The page's poster (its date line's 来源 or the name after a bar), when it names with its place the body
    that the report names only by level or as 我局: the same kind of body."""
    posted = first_org(poster or "", prefixed_only=True)
    if posted is None:
        return None
    if org.name[:1] in "我本":
        return posted if posted.body.endswith(org.body) else None
    return posted if bureau_kind(posted.name) == bureau_kind(org.name) else None


# the body that posted a page, on its date line: "来源:武汉市水务局", "2026-01-20 17:01 | 武汉市水务局"
_POSTER = re.compile(
    r"(?:来源|信息来源|发布机构|发布单位)\s*[:：]\s*([\u4e00-\u9fa5]{2,30})|[|｜]\s*([\u4e00-\u9fa5]{2,30})\s*$"
)


# a title naming two bodies before 关于 or the year ("中共长春市委 长春市人民政府关于2021年度…的报告",
# "中共白城市委 白城市人民政府2022年度…报告"): a joint report
_BODY_NAME = r"(?:中共)?[\u4e00-\u9fa5]{2,20}?(?:委员会|委|人民政府|政府|局|厅|办公室)"
_JOINT_TITLE = re.compile(rf"^({_BODY_NAME}(?:[\s、]+{_BODY_NAME})+)\s*(?:关于|(?=(?:19|20)\d{{2}}\s*年))")
ISSUERS_LINE = re.compile(rf"^{_BODY_NAME}(?:[\s、]+{_BODY_NAME})*$")
"""A line of issuing bodies only, the first line of a two-line title ("中共海南省委 海南省人民政府")."""


# a report that speaks as a town or street: "我镇…", "全镇…", "2021年，街道按照…"
_TOWN_SELF = re.compile(
    r"[我本全]镇|[我本]乡|[我本]街道|(?:^|[，,。；\n])街道(?:按照|坚持|认真|深入|全面|扎实|始终|围绕|紧紧|以|在|把|将)"
)


def _known_towns(text: str) -> Counter[str]:
    """The towns and streets of the gazetteer that `text` names in full ("增福镇", "虹桥街道"), counted."""
    g = Gazetteer.default()
    found: Counter[str] = Counter()
    for m in re.finditer(r"街道|镇|乡", text):
        for k in (6, 5, 4, 3, 2):
            name = text[max(0, m.start() - k) : m.end()]
            if len(name) == k + len(m.group(0)) and g.is_town(name):
                found[_as_written(text, m.start() - k, name)] += 1
                break
    return found


def _as_written(text: str, start: int, name: str) -> str:
    """A town's name as the text writes it when that is longer than the gazetteer's: a street named after
    the gazetteer's was made ("2025年，银杏大街街道…" is not 大街街道), when the longer name opens a clause."""
    b = start
    while b > 0 and start - b < 2 and "\u4e00" <= text[b - 1] <= "\u9fa5" and not _after_year(text, b):
        b -= 1
    at_clause = b == 0 or text[b - 1] in "\n，,。；;、 " or _after_year(text, b)
    # (a name's part is a noun: "现将宝城镇…" opens with an adverb, not a longer name)
    named = all(flag.startswith("n") for _w, flag in tagged(text[b:start]))
    return text[b:start] + name if b < start and at_clause and named else name


def _after_year(text: str, at: int) -> bool:
    """Whether `at` follows a year's 年 or 年度 ("2024年度新江湾城街道…": the name begins after 年度)."""
    return text[at - 1 : at] == "年" or text[max(0, at - 2) : at] == "年度"


def _speaking_town(opening: str, text: str) -> str | None:
    """The town or street a report speaks as, when its opening speaks as one ("我镇…", "2021年，街道按照…") or
    its first sentence names one ("…，虹桥街道深入学习…"): the town named most, else the one of the county
    the head names whose name the text uses at least twice in short ("鱼复法治建设" for 鱼复街道)."""
    first = re.split(r"[。！？]", opening, maxsplit=1)[0]
    named_first = _known_towns(first)
    if named_first:
        return named_first.most_common(1)[0][0]
    if not _TOWN_SELF.search(opening):
        return None
    named = _known_towns(text[:3000])
    if named:
        return named.most_common(1)[0][0]
    county = _head_region(None, None, opening, text, level=None).district
    stems = Counter(
        {t: text.count(t[:-2] if t.endswith("街道") else t[:-1]) for t in Gazetteer.default().towns_of(county or "")}
    )
    best = stems.most_common(1)
    return best[0][0] if best and best[0][1] >= 2 and len(best[0][0]) >= 3 else None


def _town_issuer(town: str, title: str | None, breadcrumb: str | None, opening: str, text: str) -> tuple[str, Region]:
    """A town's or street office's name, with its county when the gazetteer settles which one it is."""
    region = _head_region(title, breadcrumb, opening, text, level=None)
    context = " ".join(x for x in (title, opening, text[:3000]) if x)
    county = Gazetteer.default().county_of_town(town, context, region.names())
    if county is None:
        return town_body(town, text), region
    return county.name + town_body(town, text), Region(**county.region())


# a zone that opens the report's first sentence as its subject, named without its city ("2022年，高新区坚持…")
_BARE_ZONE = re.compile(
    rf"^\s*(?:(?:19|20)\d{{2}}年(?:以来|度)?[，,]?\s*)?(?:在{_HAN}[^。]{{0,30}}?下[，,]\s*)?(高新区|经开区|开发区|保税区|自贸区)(?!管委会|管理委员会)"
)


def _government_of(region: Region, title: str | None, opening: str) -> str | None:
    """A report whose head names a place but no body and no 我局/我委 is that place's government's own
    ("深圳市宝安区2021年法治政府建设年度报告", "2021年，宝安区坚持…"): the 人民政府, or a new area's 管理委员会."""
    place = region.district or region.city or region.province
    zone = _BARE_ZONE.match(re.split(r"[。！？]", opening, maxsplit=1)[0])
    if zone and region.city and not region.district:
        # "2022年，高新区坚持…" in a report whose place is a city: the city's zone speaks, by its committee
        return f"{stem_of(region.city)}{zone.group(1)}管理委员会"
    named = any(place in x or stem_of(place) in x for x in (title or "", opening)) if place else False
    if not place or not (named or _speaks_for(region, opening)):
        return None
    # a new area or zone is governed by its management committee, a division by its people's government
    named_area = bool(region.district) and not Gazetteer.default().is_division(region.district or "")
    suffix = "管理委员会" if named_area else "人民政府"
    prefix = region.city if region.district and region.city and region.city != region.district else ""
    if prefix and place.startswith(stem_of(prefix)):
        prefix = ""  # "天津经济技术开发区" names its city itself
    return f"{prefix}{place}{suffix}"


# how a body calls itself: 我委 is a 委员会 (卫生健康委员会), 我办 an 办公室, 我会 a 委员会
_SELF_FORMS = {"委": ("委", "委员会"), "办": ("办", "办公室"), "会": ("委员会",)}


def _self_body(suffix: str, body: str) -> bool:
    """Whether a body's name fits what the report calls itself (我局 → …局, 我委 → …委员会)."""
    return body.endswith(_SELF_FORMS.get(suffix, (suffix,)))


def _self_by_level(suffix: str, text: str) -> Org | None:
    """The body named by its level alone that the report's 我局 is ("市住房和城乡建设管理局", "请联系我局"): the
    most named of that kind, when only one kind is named."""
    found = [o for o in orgs(text) if o.level and not o.place and _self_body(suffix, o.body) and not o.leadership]
    kinds = Counter(bureau_kind(o.body) for o in found)
    if len(kinds) != 1:
        return None
    return found[0]


def _self_named(suffix: str, region: Region, text: str) -> str | None:
    """Who "我局" is: the body the text most often names with the report's own place and that suffix."""
    own = region.district or region.city or region.province
    if not own:
        return None
    counts: Counter[str] = Counter()
    below: dict[str, set[str]] = {}  # kind → the places inside the report's own that have a body of that kind
    bodies: dict[str, str] = {}
    named = [o for o in orgs(text, prefixed_only=True, titles=True) if _self_body(suffix, o.body) and not o.leadership]
    for org in named:
        places = _region_of(org.name, text[:3000]).names()
        if places[:1] == [own]:
            counts[bureau_kind(org.name)] += 1
        elif own in places[1:]:
            below.setdefault(bureau_kind(org.name), set()).add(places[0])
            bodies.setdefault(bureau_kind(org.name), org.body)
    if not counts:
        # a city bureau that names only its districts' bureaus of its own kind ("海珠区人社局、黄埔区人社局获评…")
        kind = max(below, key=lambda k: len(below[k]), default=None)
        return own + bodies[kind] if kind and len(below[kind]) >= 2 else None
    kind = counts.most_common(1)[0][0]
    return max((o.name for o in named if bureau_kind(o.name) == kind), key=len)


def _with_full_name(issuer: str, text: str) -> str:
    """The fullest way the text writes this issuer: "市人社局" → "天津市人力资源和社会保障局" when both appear."""
    kind = bureau_kind(issuer)
    best = issuer
    for org in orgs(text, prefixed_only=True, titles=True):
        if bureau_kind(org.name) == kind and _same_place(org.name, issuer) and len(org.name) > len(best):
            best = org.name
    return best


def _same_place(a: str, b: str) -> bool:
    ra, rb = Gazetteer.default().resolve(a), Gazetteer.default().resolve(b)
    keys = [k for k in ("district", "city", "province") if ra[k] or rb[k]]
    most_specific = keys[0] if keys else None
    return most_specific is not None and ra[most_specific] == rb[most_specific]


def _head_region(title: str | None, breadcrumb: str | None, opening: str, text: str, level: str | None) -> Region:
    """The region named by the head of the report; else the body's most mentioned place at the issuer's level.

    The opening's first sentence comes before the rest of it: "2022年，哈尔滨市紧紧围绕…" names the report's
    place, a district praised two sentences later does not.
    """
    first_sentence = re.split(r"[。！？]", opening, maxsplit=1)[0]
    for src in (title, breadcrumb, first_sentence):
        if src:
            region = _region_of(src, (title or "") + opening + text[:3000])
            if region.names():
                return region
    # an opening that speaks for a whole province (全省各级政府…, and no 市委/全市) names its cities as examples
    scoped = _scope_place(opening, text)
    if scoped and not _CITY_VOICE.search(opening):
        return _region_of(scoped, opening)
    region = _region_of(opening, (title or "") + opening + text[:3000])
    if region.names():
        return region
    if scoped:
        return _region_of(scoped, opening)
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
            region = _region_of(name, text[:3000])
            if not region.city and lv == "district":
                region.city = _dominant(by_level["city"], min_count=1)
                region.province = region.province or _region_of(region.city or "", "").province
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
_LED_BY = re.compile(rf"在{_HAN}[^。，,]{{0,30}}?(?:领导|指导|支持|部署)下")


def _speaks_for(region: Region, opening: str) -> bool:
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


def _city_in_short(province: str, text: str) -> str | None:
    """The city of a "市X局" that the text names only in short ("海安主城区", "海安至如皋" for 海安市): the city or
    county-level city of the report's province named most, at least twice and twice as often as any other."""
    g = Gazetteer.default()
    cities = [
        d
        for d in g.divisions
        if d.province == province and d.name.endswith("市") and d.level in ("city", "district") and len(d.short) >= 2
    ]
    return _dominant(Counter({d.name: text.count(d.short) for d in cities if d.short in text}), min_count=2)


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
        region = _region_of(issuer, (title or "") + text[:3000])
        if region.names():
            return region
    return _head_region(title, None, text[:_OPENING_CHARS], text, level=None)


# a government work report, given to the people's congress: it reviews one year and plans the next
_WORK_REPORT = re.compile(r"政\s*府\s*工\s*作\s*报\s*告")
_REVIEWED = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:工作)?回顾")
_CONGRESS = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*\d{1,2}\s*日\s*在.{0,40}?人民代表大会")


def _work_report_years(title: str | None, text: str) -> list[int] | None:
    """The two years of a 政府工作报告: the year it reviews and the year it plans (None for other reports).

    From its "2019年工作回顾" heading, else its title's year (the planned one), else the date of the congress
    session it was given at (a session late in the year plans the next)."""
    head = (title or "") + text[:600]
    if not _WORK_REPORT.search(head) or not re.search(r"人民代表大会|人代会|各位代表", text[:3000]):
        return None
    reviewed = _REVIEWED.search(text[:6000])
    if reviewed:
        y = int(reviewed.group(1))
        return [y, y + 1]
    titled = [int(y) for y in _YEAR.findall(_years_of_report(title or ""))]
    if len(set(titled)) == 1:
        return [titled[0] - 1, titled[0]]
    session = _CONGRESS.search(text[:3000])
    if session:
        y, month = int(session.group(1)), int(session.group(2))
        return [y, y + 1] if month >= 10 else [y - 1, y]
    return None


def find_years(title: str | None, breadcrumb: str | None, text: str, published: str | None) -> list[int]:
    """The years a report covers: from the title, the breadcrumb, else its opening paragraph (a government
    work report covers the year it reviews and the year it plans)."""
    work = _work_report_years(title, text)
    if work:
        return work
    for src in (title, breadcrumb):
        src = _years_of_report(src or "")
        if not src:
            continue
        r = _YEAR_RANGE.search(src)
        if r:
            return list(range(int(r.group(1)), int(r.group(2)) + 1))
        ys = [int(y) for y in _YEAR.findall(src)]
        if ys:
            return sorted(set(ys))
    opening = _years_of_report(text[:400])
    since = _SINCE.search(opening)
    if since and published:
        y0, y1 = int(since.group(1)), int(published[:4]) - 1
        if y0 <= y1:
            return list(range(y0, y1 + 1))
    ys = [int(y) for y in _YEAR.findall(opening)]
    if ys:
        return [Counter(ys).most_common(1)[0][0]]
    if published:
        return [int(published[:4]) - 1]
    # no year in the title, the opening or the page's date: the year the text reports on most ("2020年度共受理…")
    counted = Counter(int(y) for y in _YEAR.findall(_years_of_report(text[:3000])))
    top = counted.most_common(2)
    if top and top[0][1] >= 2 and (len(top) == 1 or top[0][1] > top[1][1]):
        return [top[0][0]]
    return []


# the year of a plan a report adds ("…情况及2021年度工作安排的报告"): not a year it covers
_PLAN_YEAR = re.compile(r"[及和与暨、]\s*(?:19|20)\d{2}\s*年度?\s*的?(?:工作|重点)*(?:安排|计划|打算|思路|要点|任务)")
_CITED = re.compile(r"《[^《》]*》")


def _years_of_report(src: str) -> str:
    """`src` without the years that say nothing of what the report covers: a plan's year, and the span of a
    plan it cites (《法治政府建设实施纲要(2021—2025年)》), when a year is left outside them."""
    src = _PLAN_YEAR.sub("", src)
    bare = _CITED.sub(lambda m: "" if _YEAR_RANGE.search(m.group(0)) else m.group(0), src)
    return bare if _YEAR.search(bare) else src


def synth_title(
    issuer: str | None, region: Region, years: list[int], breadcrumb: str | None, *, source: str = ""
) -> str:
    """A title for a report that has no title line: who, when and what, from what the text gives.

    With no issuer or region known the file's own name stands in (never "未知单位…").
    """
    who = issuer or region.label()
    if not who:
        stem = re.sub(r"[_\-]+", " ", Path(source).stem).strip()
        return stem or "未命名报告"
    span = ""
    if years:
        span = f"{years[0]}年度" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
    topic = "工作报告"
    if breadcrumb:
        crumbs = [c.strip() for c in re.split(r"[>＞»/]", breadcrumb.split("：")[-1].split(":")[-1])]
        crumbs = [c for c in crumbs if c and not _YEAR.search(c) and c not in ("首页", "政务公开")]
        if crumbs:
            topic = crumbs[-1]
    return f"{who}{span}{topic}"


# a reading in pinyin after a character, as pages with an accessibility reading mode print it: 清遠(yuǎn)市
_PINYIN = re.compile(r"(?<=[\u4e00-\u9fa5])[（(][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,8}[）)]")


def extract_meta(
    raw: RawReport,
    clean: str,
    *,
    title_line: str | None,
    date_text: str | None,
    breadcrumb: str | None,
    signature: str | None = None,
    code: str | None = None,
) -> ReportMeta:
    published = parse_date(date_text) if date_text else None
    # names are matched in simplified Chinese (a page in traditional characters: 汕頭市龍湖區 → 汕头市龙湖区)
    simp = [_PINYIN.sub("", to_simplified(x)) if x else x for x in (title_line, clean, breadcrumb, signature)]
    posted = _POSTER.search(to_simplified(date_text)) if date_text else None
    poster = (posted.group(1) or posted.group(2)) if posted else None
    issuer, region = find_issuer(simp[0], simp[1] or "", breadcrumb=simp[2], signature=simp[3], poster=poster)
    if code:
        region = with_coded_division(region, code, " ".join(x for x in simp[:2] if x)[:3000])
    years = find_years(title_line, breadcrumb, clean, published)
    title = title_line or synth_title(issuer, region, years, breadcrumb, source=raw.source)
    return ReportMeta(
        report_id=report_id_for(raw.source),
        source=raw.source,
        title=title,
        issuer=issuer,
        region=region,
        years=years,
        published=published,
        content_hash=raw.content_hash,
        n_chars=len(raw.text),
        page_starts=list(raw.page_starts) if raw.page_starts is not None else None,
    )


def report_id_for(source: str) -> str:
    """A stable id from the file name: its stem, lower-cased, with separators kept URL-safe."""
    stem = source.rsplit(".", 1)[0]
    return re.sub(r"[^0-9A-Za-z_\-\u4e00-\u9fa5]+", "-", stem).strip("-").lower() or "report"
