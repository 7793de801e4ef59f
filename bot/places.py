"""Chinese administrative place names (省/市/区/县/新区) found in text without a gazetteer.

A candidate is two Han characters before a level suffix; stop words ("全市", "社区", "依法治区") and stems
that jieba tags as verbs, pronouns or adverbs ("落实市委" → "落实") are rejected.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

_HAN = r"[\u4e00-\u9fa5]"
PROVINCE = re.compile(rf"({_HAN}{{2}}(?:省|自治区))")
CITY = re.compile(rf"({_HAN}{{2}}市)")
DISTRICT = re.compile(rf"({_HAN}{{2}}(?:新区|区|县))")
_NOT_PLACE = set(
    [
        "全省",
        "本省",
        "我省",
        "各省",
        "外省",
        "该省",
        "两省",
        "节省",
        "反省",
        "行省",
        "全市",
        "本市",
        "我市",
        "各市",
        "城市",
        "超市",
        "上市",
        "该市",
        "省市",
        "地市",
        "县市",
        "区市",
        "两市",
        "大市",
        "门市",
        "股市",
        "社区",
        "小区",
        "园区",
        "辖区",
        "城区",
        "地区",
        "片区",
        "景区",
        "街区",
        "校区",
        "山区",
        "矿区",
        "老区",
        "灾区",
        "误区",
        "盲区",
        "专区",
        "分区",
        "全区",
        "我区",
        "本区",
        "该区",
        "各区",
        "两区",
        "治区",
        "市区",
        "郊区",
        "县区",
        "禁区",
        "展区",
        "厂区",
        "港区",
        "湾区",
        "林区",
        "牧区",
        "库区",
        "管区",
        "学区",
        "营区",
        "战区",
        "政区",
        "范区",
        "验区",
        "发区",
        "税区",
        "贸区",
        "能区",
        "示范区",
        "试验区",
        "开发区",
        "保税区",
        "自贸区",
        "功能区",
        "法治区",
        "中央省",
        "全国省",
        "全县",
        "本县",
        "我县",
        "各县",
        "该县",
        "郡县",
        "区县",
        "市县",
        "州县",
    ]
)
_NOT_DISTRICT_ENDINGS = frozenset(
    [
        "园区",
        "社区",
        "小区",
        "辖区",
        "城区",
        "地区",
        "片区",
        "景区",
        "街区",
        "校区",
        "矿区",
        "库区",
        "学区",
        "厂区",
    ]
)
_NOT_NAME_POS = ("v", "a", "p", "r", "d", "c", "u", "i", "l", "m", "q")


@functools.lru_cache(maxsize=4096)
def plausible_place(name: str) -> bool:
    """A place name is not a stop word ("全市", "社区", "依法治区") and its stem is no verb or pronoun."""
    if name in _NOT_PLACE or name[-2:] in _NOT_DISTRICT_ENDINGS:
        return False
    stem = name[:-2] if name.endswith(("新区", "自治区")) else name[:-1]
    if name.endswith("自治区"):
        stem = name[:-3]
    import jieba.posseg as pseg

    from bot.analysis import _jieba

    _jieba()  # initialise jieba quietly
    words = pseg.lcut(stem)
    # a last character jieba calls a measure word usually ends a rare name ("硚口" → 硚/yg 口/q)
    return not any(
        p.flag.startswith(_NOT_NAME_POS) and not (i == len(words) - 1 > 0 and len(p.word) == 1 and p.flag == "q")
        for i, p in enumerate(words)
    )


def places(pattern: re.Pattern[str], text: str) -> Counter[str]:
    c: Counter[str] = Counter()
    for m in pattern.finditer(text):
        name = m.group(1)
        if plausible_place(name):
            c[name] += 1
    return c


def stem(name: str) -> str:
    """'白云区' → '白云', '两江新区' → '两江', '武汉市' → '武汉' (how people shorten place names)."""
    for suffix in ("自治区", "新区", "省", "市", "区", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def mentions(text: str) -> list[str]:
    """Every plausible place name in `text`, in order of appearance, without repeats."""
    found: list[tuple[int, str]] = []
    for pat in (PROVINCE, CITY, DISTRICT):
        for m in pat.finditer(text):
            if plausible_place(m.group(1)):
                found.append((m.start(), m.group(1)))
    out: list[str] = []
    for _, name in sorted(found):
        if name not in out:
            out.append(name)
    return out
