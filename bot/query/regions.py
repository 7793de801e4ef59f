"""The places a question names, read for scoping it to reports: towns and streets, short names, the places
written before a name and the body after it, and whether a report's issuer is the body named."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.text.divisions import PlaceMatch
from bot.text.gazetteer import Gazetteer
from bot.text.orgs import TOWN_NAME, bureau_kind

# a town or street the question names, at its start or right after a county ("鲤城区开元街道2022年…")
TOWN = re.compile(
    rf"(?:^|(?<=[区县市]))({TOWN_NAME})(?=\d|的|人民政府|政府|办事处|那|这|在|有|[，,？?\s]|年|关于|法治|依法|今年|去年)"
)
# a question about the places inside the one it names ("武汉各区", "全市各区县", "下辖")
ACROSS = re.compile(r"各(?:个)?(?:区|县|市|州|地|盟|旗)|区县|县区|县市区|所辖|下辖|辖区内")


def short_named(text: str) -> list[str]:
    """Divisions named by their short name where the words after it show it is a place ("天津的", "天河区人社局"
    are caught as full names already; "天津人社局", "天河那边" here). Short names alone are often ordinary words."""
    out = []
    for m in Gazetteer.default().find(text, short_names=True):
        if m.short and len(m.text) >= 2 and re.match(r"的|那边|这边|人社|人力|[市区县省]", text[m.end : m.end + 2]):
            out.append(m.candidates[0].name)
    return out


def name_like(stem: str) -> bool:
    """Two characters that could be a place's name: not a verb, pronoun, number… by jieba's tags ("下辖")."""
    import jieba.posseg as pseg

    return not any(
        w.flag.startswith(("v", "a", "p", "r", "d", "c", "u", "m", "q", "f", "t", "s")) for w in pseg.lcut(stem)
    )


def town_like(name: str) -> bool:
    """A town or street's name, not a question about towns ("有没有街道的报告", "哪个镇…"): its stem does not open
    with an A-not-A question (有没有, 是不是) or a pronoun (哪个, 这个) by jieba's tags."""
    import jieba.posseg as pseg

    stem = name.removesuffix("街道").rstrip("镇乡")
    if not stem or re.match(r"(.)[没不]\1", stem):
        return False
    first = pseg.lcut(stem)[0]
    return not first.flag.startswith("r")


@dataclass
class NamedPlace:
    """A catalogue place named in a question: as written (with the places before it), the reports that agree
    with those places, and the body named right after it ("政府", "人社局")."""

    canon: str
    written: str
    agrees: set[str]
    body: str | None
    ids: set[str] = field(default_factory=set)


def parents_before(chain: Sequence[PlaceMatch], start: int) -> list[PlaceMatch]:
    """The places written right before `start`, back to the first of them ("枣庄市" before 市中区)."""
    out: list[PlaceMatch] = []
    at = start
    for m in reversed(chain):
        if m.end == at:
            out.append(m)
            at = m.start
        elif m.end < at:
            break
    return out


def same_kind(issuer: str | None, body: str) -> bool:
    """A report's issuer is the body a question names ("上海市司法局"): the same kind (人社局 = 人力资源和社会保障局),
    or a government asked of any of its bodies' reports; an unknown issuer may be any body. (A sub-unit named,
    "海珠区社保中心", is no other kind: the caller keeps every report when none is of the kind named.)"""
    if not issuer or body.endswith("人民政府"):
        return True
    a, b = bureau_kind(issuer), bureau_kind(body)
    return a == b or a[:2] == b[:2]
