"""Who issued a report: the body named in its title, signature or poster, its self-reference (我局, 我镇), the
government or sector it speaks for; with the region that body belongs to."""

from __future__ import annotations

import re
from collections import Counter

from bot.text.analysis import tagged
from bot.text.gazetteer import Gazetteer
from bot.text.orgs import Org, bureau_kind, first_org, orgs, town_body, town_of_title
from bot.text.places import stem as stem_of
from bot.types import Region
from ingest.meta.region import (
    HAN,
    OPENING_CHARS,
    city_in_short,
    head_region,
    province_in_short,
    region_of,
    speaks_for,
)

# the line a report is addressed to ("中共长沙市委、长沙市人民政府：", "市委："): its readers, not its writer
_ADDRESSEE = re.compile(rf"^\s*(?:{HAN}{{0,20}}?(?:委|政府|委员会|常委会)[、，,\s]*)+[:：]\s*$\n?", re.M)


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
    opening = _ADDRESSEE.sub("", text[: OPENING_CHARS + 40])[:OPENING_CHARS]
    head = " ".join(x for x in (title, signature, breadcrumb, opening) if x)
    if not first_org(title or "", prefixed_only=True):
        town = town_of_title(title or "") or _speaking_town(opening, text)
        if town:  # a town's or street office's own report
            return _town_issuer(town, title, breadcrumb, opening, text)
    joint = _JOINT_TITLE.match(title or "")
    if joint:  # "中共海南省委 海南省人民政府关于…的报告": both bodies issued it
        bodies = re.sub(r"[\s、]+", " ", joint.group(1).strip())
        return bodies, region_of(bodies.split()[-1], head + text[:3000])
    compiled = _COMPILED_BY.search(opening)
    for src in (title, signature, compiled.group(1) if compiled else None):
        org = first_org(src or "", prefixed_only=True)
        if org:
            return _with_full_name(org.name, text), region_of(org.name, head + text[:3000])
    # a title naming its body by level ("2022年区人力社保局…年度报告") says who wrote it before the opening does
    titled = first_org(title or "")
    org = (titled if titled and titled.level else None) or first_org(opening)
    org = org or first_org(breadcrumb or "", prefixed_only=True)
    region = head_region(title, breadcrumb, opening, text, level=org.level if org else None)
    if org is None:
        sector = _sector_body(opening, text)
        if sector:  # "全市卫生健康系统…": the sector's own body, as the text names it with its place
            return sector, region_of(sector, head + text[:3000])
        return _government_of(region, title, opening), region
    if org.prefixed:
        return _with_full_name(org.name, text), region_of(org.name, head + text[:3000])
    posted = _posted_as(org, poster)
    if posted:  # "市水务局…" on a page its date line says "武汉市水务局" posted: the poster, by its full name
        return posted.name, region_of(posted.name, head + text[:3000])
    if org.name[:1] in "我本":
        named = _self_issuer(org, region, title, text)
        if named is not None:
            return named
        by_level = _self_by_level(org.body, text)
        if by_level is None:
            return None, region
        org = by_level  # "我局…", and once "市应急管理局": the report's city's bureau, as a level-named body is
    return _level_issuer(org, region, title, opening, text)


def _self_issuer(org: Org, region: Region, title: str | None, text: str) -> tuple[str, Region] | None:
    """Who "我局" is, with its region, when the text names that body with the report's place (or, on a page
    with no title whose district is only the one its text names most, with its city's); None when it does not."""
    named = _self_named(org.body, region, text)
    if named:
        return named, region
    if not title and region.district:
        # the city's body may be the one that speaks ("请联系我局", "《韶关市住房和城乡建设管理局…办法》")
        above = Region(province=region.province, city=region.city)
        named = _self_named(org.body, above, text)
        if named:
            return named, above
    return None


def _level_issuer(org: Org, region: Region, title: str | None, opening: str, text: str) -> tuple[str | None, Region]:
    """A body prefixed by its level alone ("市交通运输局", "省司法厅") belongs to the report's place of that level:
    "市交通运输局" is no province's bureau when only the province is known."""
    place = {"省": region.province, "市": region.city}.get(org.level or "", region.district)
    if not place and org.level == "市" and region.province:
        city = city_in_short(region.province, text)
        if city:
            region = region_of(city, text[:3000])
            place = city
    if not place and org.level == "省":
        province = province_in_short(text[:3000])  # "省司法厅…对广东系列重要讲话": 广东省's
        if province:
            region = Region(province=province)
            place = province
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
    body = "人民" + org.body if org.body.startswith("政府") else org.body  # 区政府办公室: 区人民政府办公室
    return _with_full_name(prefix + body, text), region


# the body that says it compiled the report: "本报告…由台州湾经济技术开发区管委会结合有关统计数据编制"
_COMPILED_BY = re.compile(
    r"由([\u4e00-\u9fa5]{2,30}?)(?:结合|根据|按照|依据|负责|会同)?[^。；]{0,16}?(?:编制|编写|撰写|制作)"
)


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
    county = head_region(None, None, opening, text, level=None).district
    stems = Counter(
        {t: text.count(t[:-2] if t.endswith("街道") else t[:-1]) for t in Gazetteer.default().towns_of(county or "")}
    )
    best = stems.most_common(1)
    return best[0][0] if best and best[0][1] >= 2 and len(best[0][0]) >= 3 else None


def _town_issuer(town: str, title: str | None, breadcrumb: str | None, opening: str, text: str) -> tuple[str, Region]:
    """A town's or street office's name, with its county when the gazetteer settles which one it is."""
    region = head_region(title, breadcrumb, opening, text, level=None)
    context = " ".join(x for x in (title, opening, text[:3000]) if x)
    county = Gazetteer.default().county_of_town(town, context, region.names())
    if county is None:
        return town_body(town, text), region
    return county.name + town_body(town, text), Region(**county.region())


# a zone that opens the report's first sentence as its subject, named without its city ("2022年，高新区坚持…")
_BARE_ZONE = re.compile(
    rf"^\s*(?:(?:19|20)\d{{2}}年(?:以来|度)?[，,]?\s*)?(?:在{HAN}[^。]{{0,30}}?下[，,]\s*)?(高新区|经开区|开发区|保税区|自贸区)(?!管委会|管理委员会)"
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
    if not place or not (named or speaks_for(region, opening)):
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
        places = region_of(org.name, text[:3000]).names()
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
