"""Government bodies named in text: "广州市白云区人力资源和社会保障局", "区人力资源局", "我局".

An organisation is a run of Han characters ending in an organisation suffix (局, 厅, 委员会, 大队…). It is
*prefixed* when real places from the gazetteer stand right before it, *level-prefixed* when only a level does
("区人力资源局", "市人社局": the writer's own district or city), and a *self-reference* for 我局/本局.

`bureau_kind` maps the usual short forms of a bureau's name to one form, so that 人社局, 人力社保局,
人力资源社会保障局 and 人力资源和社会保障局 are the same body. These abbreviations hold for every Chinese
government, which is why they are listed here rather than learnt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text.analysis import tagged, word_at, word_ends_at
from bot.text.gazetteer import Gazetteer, named_area

BODY_SUFFIX = r"(?:人民政府|委员会|管委会|办公室|办事处|大队|支队|中队|中心|局|厅|委|办|院|署|队)"
"""The word a body's name ends in (局, 委员会, 人民政府…)."""
_ONE_CHAR_SUFFIXES = frozenset("局厅委办院署队")
_BODY = re.compile(rf"[\u4e00-\u9fa5]{{0,14}}?{BODY_SUFFIX}")
# words that never sit inside an organisation's name: a body containing one was cut from a sentence
_NOT_IN_NAME = re.compile(
    r"的|关于|在|对|将|把|被|从|向|与|及|以|并|了|是|等|各|要求|部署|领导|根据|按照|全面依法治|和[省市区县]"
    r"|(?:政府|委|局|厅)和"  # ("市委市政府和国家卫生健康委": bodies joined, no one name)
)
# a level-prefixed body starts a word: after a non-Han character, or after a preposition or verb of handing
# over that cannot end a place's name, or after a year ("现将市人社局…", "由区司法局…", "2022年区人力社保局…")
_LEVEL_ORG = re.compile(
    rf"(?:(?<![\u4e00-\u9fa5])|(?<=[将把由对向经据年]))([省市区县])([\u4e00-\u9fa5]{{1,14}}?{BODY_SUFFIX})"
)
_SELF = re.compile(r"[我本](局|厅|委|队|办|中心|院|署|支队|大队)")
# party committees: they lead the government or bureau that writes a report, they are not its writer
_LEADERSHIP = re.compile(r"^(?:中共)?.{0,12}?(?:[省市区县州]委(?:常委会?)?|党委|党工委|党组|人大常委会|政协)$")

_ASIDE = re.compile(r"[（(][^（）()]{1,12}[）)]")
_ZONE_HEAD = re.compile(r"^[\u4e00-\u9fa5]{0,8}?(?:开发区|高新区|经开区|新区|综合保税区|综保区|保税区)")
# one body, several names (a hand list: these short forms are used by every government's bureaus)
_KINDS: dict[str, tuple[str, ...]] = {
    "人力资源和社会保障局": ("人力资源和社会保障局", "人力资源社会保障局", "人力社保局", "人社局", "人力资源局"),
    "人力资源和社会保障厅": ("人力资源和社会保障厅", "人力资源社会保障厅", "人社厅"),
    "市场监督管理局": ("市场监督管理局", "市场监管局"),
    "发展和改革委员会": ("发展和改革委员会", "发展改革委员会", "发展改革委", "发改委"),
    "卫生健康委员会": ("卫生健康委员会", "卫生和健康委员会", "卫生健康委", "卫健委"),
    "住房和城乡建设局": ("住房和城乡建设局", "住房城乡建设局", "住建局"),
    "生态环境局": ("生态环境局", "环保局"),
    "人民政府": ("人民政府", "政府"),
    "管理委员会": ("管理委员会", "管委会"),
    "教育局": ("教育局", "教育和体育局", "教体局"),
    "交通运输局": ("交通运输局", "交通局"),
}
_ALIAS_TO_KIND = {alias: kind for kind, aliases in _KINDS.items() for alias in aliases}


@dataclass(frozen=True)
class Org:
    """An organisation named in a text."""

    name: str  # as written: 广州市白云区人力资源和社会保障局, 区人力资源局, 我局
    body: str  # without its place: 人力资源和社会保障局 (for 我局: 局)
    place: str  # the places before it, as written ("广州市白云区"), or ""
    level: str | None  # 省/市/区/县 for a level-prefixed name, else None
    start: int

    @property
    def prefixed(self) -> bool:
        return bool(self.place)

    @property
    def leadership(self) -> bool:
        return bool(_LEADERSHIP.match(self.body)) or bool(_LEADERSHIP.match(self.name))


def bureau_kind(name: str) -> str:
    """The body's name without its place, short forms written out: "宝安区人社局" → 人力资源和社会保障局."""
    name = _ASIDE.sub("", name)  # "乌鲁木齐高新区(新市区)人民政府": the other name in brackets
    body = name
    for m in Gazetteer.default().find(name, short_names=True):
        if m.start == len(name) - len(body):
            body = name[m.end :]
    if body == name and len(body) > 2 and body[0] in "省市区县":
        body = body[1:]  # a level-prefixed name: "市人社局"
    if body.startswith("人民政府") and len(body) > 4:
        body = body[4:]  # "鲤城区人民政府金龙街道办事处": the district government's office for a street
    area = named_area(body)
    if area and 0 <= body.find(area) <= 4:
        body = body[body.find(area) + len(area) :]  # "天津东疆综合保税区管理委员会" → 管理委员会
    zone = _ZONE_HEAD.match(body)
    if zone and len(body) > zone.end():
        body = body[zone.end() :]  # "高新技术产业开发区管理委员会": a zone's committee, whatever its name
    return _ALIAS_TO_KIND.get(body, body)


def _inside_title_marks(text: str, i: int) -> bool:
    """Inside 《…》: a document title, not a body acting."""
    return text.rfind("《", 0, i) > text.rfind("》", 0, i)


def _acts(body: str) -> bool:
    """A run that opens with an adverb or an idiom, or with two verbs, is a sentence's action cut at a suffix
    ("认真贯彻落实中央依法治国委员会", "深入推进…办公室"), never a body's name ("综合行政执法局" opens with one
    verbal noun)."""
    tags = tagged(body)
    if not tags:
        return False
    first = tags[0][1]
    return first in ("d", "ad", "i") or (len(tags) > 1 and first == "v" and tags[1][1] == "v")


def _body_at(text: str, j: int) -> str | None:
    m = _BODY.match(text, j)
    if not m or _NOT_IN_NAME.search(m.group(0)) or _acts(m.group(0)):
        return None
    body = m.group(0)
    # the suffix begins a word of the sentence ("聚焦办好", "执法队伍", "依法委托"), unless the body is written
    # by its own short name ("卫生健康委以…")
    cut = len(body) > 1 and body[-1] in _ONE_CHAR_SUFFIXES and not word_ends_at(text, m.end())
    if cut and body not in _ALIAS_TO_KIND:
        return None
    # prefer the longest body ending in a suffix, up to the next non-name character ("人力资源和社会保障局")
    longer = re.match(rf"[\u4e00-\u9fa5]{{0,16}}{BODY_SUFFIX}", text[j : j + 18])
    if longer and not _NOT_IN_NAME.search(longer.group(0)) and len(longer.group(0)) > len(body):
        tail = text[j + len(longer.group(0)) : j + len(longer.group(0)) + 1]
        if not tail or not re.match(r"[\u4e00-\u9fa5]", tail) or tail in "在根按坚认严全以对于为和、关":
            body = longer.group(0)
    return body


# a body's name followed by 网 or 网站 names its website ("重庆市人民政府网" in a page's links), not a writer
_SITE = re.compile(r"(?:门户)?网站|网(?![\u4e00-\u9fa5])")


def orgs(text: str, *, prefixed_only: bool = False, titles: bool = False) -> list[Org]:
    """Every organisation named in `text`, in order; those inside document titles (《…》) only with `titles`."""
    out: list[Org] = []
    g = Gazetteer.default()
    matches = g.find(text, short_names=True)
    k = 0
    while k < len(matches):
        first = matches[k]
        end = first.end
        while k + 1 < len(matches) and matches[k + 1].start == end:
            k += 1
            end = matches[k].end
        body = _body_at(text, end)
        doubled = body and len(body) > 2 and body[0] == text[end - 1] and body[0] in "省市区县"
        if doubled and word_at(body or "", 0) == (body or "")[0]:
            body = (body or "")[1:]  # the level written twice ("元谋县县卫生健康局"), not 市场 of "北京市市场监管局"
        if body and (titles or not _inside_title_marks(text, first.start)) and not _SITE.match(text, end + len(body)):
            out.append(Org(text[first.start : end] + body, body, text[first.start : end], None, first.start))
        k += 1
    if not prefixed_only:
        for m in _LEVEL_ORG.finditer(text):
            if any(o.start <= m.start() < o.start + len(o.name) for o in out):
                continue
            if _NOT_IN_NAME.search(m.group(2)) or _acts(m.group(2)) or _inside_title_marks(text, m.start()):
                continue
            out.append(Org(m.group(0), m.group(2), "", m.group(1), m.start()))
        for m in _SELF.finditer(text):
            out.append(Org(m.group(0), m.group(1), "", None, m.start()))
    return sorted(out, key=lambda o: o.start)


TOWN_LEVELS = ("街道", "镇", "乡")
TOWN_NAME = r"(?:[\u4e00-\u9fa5]{2,4}?(?:街道|镇|乡)|[\u4e00-\u9fa5]{2,4}?族乡)"
"""A town or street below the gazetteer's counties (下洋镇, 金龙街道, and an ethnic township: 桐木漯瑶族乡): its
name, as a regex."""
_TOWN_BODY = r"(?:人民政府|政府|街道办事处|办事处)"
# a town or street that opens a report's title: "下洋镇2023年…", "金龙街道关于…"
_TOWN_TITLE = re.compile(rf"^({TOWN_NAME})(?:{_TOWN_BODY}|办)?(?=\d|关于|[（(]|法治|依法|年度|工作)")


def town_of_title(title: str) -> str | None:
    """The town or street a title opens with ("下洋镇", "海东市乐都区共和乡"), when the title names no other body
    first."""
    title = title.strip()
    places = Gazetteer.default().find(title)
    at = 0
    for p in places:  # (the places the title opens with: its county and city)
        if p.start != at:
            break
        at = p.end
    m = _TOWN_TITLE.match(title[at:])
    return m.group(1) if m else None


_TOWN_ISSUER = re.compile(rf"(?:^|人民政府|[区县市])({TOWN_NAME}){_TOWN_BODY}$")


def town_of_issuer(issuer: str) -> str | None:
    """The town or street of a town's or street office's name ("鲤城区人民政府金龙街道办事处" → 金龙街道)."""
    m = _TOWN_ISSUER.search(issuer)
    return m.group(1) if m else None


def town_body(town: str, text: str) -> str:
    """How the text names the town's own body ("下洋镇人民政府"), else its usual name."""
    m = re.search(re.escape(town) + r"(人民政府|街道办事处|办事处)", text)  # (not 政府 alone: the full name)
    if m:
        return town + m.group(1)
    return town + ("办事处" if town.endswith("街道") else "人民政府")


def first_org(text: str, *, prefixed_only: bool = False) -> Org | None:
    """The organisation a passage speaks as: the first one named, leaders (区委, 区政府) only when alone."""
    found = orgs(text, prefixed_only=prefixed_only)
    acting = [o for o in found if not o.leadership and o.name[:1] not in "我本"]
    selfref = [o for o in found if o.name[:1] in "我本"]
    # "我局…，海珠区人社局获评…": a body named after the writer has spoken as 我局 is one it mentions
    if selfref and (not acting or selfref[0].start < acting[0].start):
        return selfref[0]
    return acting[0] if acting else None


# the body a question names right after a place: short, and no question word inside it
_ASKED_BODY = re.compile(rf"(?:人民)?政府|管委会|[\u4e00-\u9fa5]{{1,8}}?{BODY_SUFFIX}")
_NOT_IN_ASKED_BODY = re.compile(r"多少|几|什么|哪|谁|是|有|吗|年|^[全各本我该]")


def body_named_at(text: str, j: int) -> str | None:
    """The body a question names right after a place ("政府", "司法局" in "上海司法局2020年…"), or None."""
    m = _ASKED_BODY.match(text, j)
    if not m or _NOT_IN_NAME.search(m.group(0)) or _NOT_IN_ASKED_BODY.search(m.group(0)):
        return None
    if m.group(0) == "委" or _LEADERSHIP.match("区" + m.group(0)):  # "渝中区委": the party, not a body's report
        return None
    if Gazetteer.default().find(m.group(0)) or re.match(r"[\u4e00-\u9fa5]{2}[区县]", m.group(0)):
        return None  # another place ("赣州市瑞金区办了…"), not a body
    return "人民政府" if m.group(0) == "政府" else m.group(0)
