"""A report's head: its title line (also one broken in two, or under a line of its issuers), the page's
fields (publish date, source), and the division code a page may carry."""

from __future__ import annotations

import re

from bot.text.analysis import normalize, without_pinyin
from bot.text.gazetteer import Gazetteer
from ingest.parse.lines import SENT_FINAL, UNNUMBERED_HEADING_RANK, Line, strip_markup

# a field of the page's head, above its title: "- 索 引 号:370402/2022-00029", "• 发布机构:区人民政府办公室"
_PAGE_FIELD = re.compile(
    r"^[-•·*\s]*(?:索\s*引\s*号|主题分类|组配分类|主\s*题\s*词|发布机构|发文机关|发文单位|成文(?:时间|日期)|文\s*号"
    r"|发文字号|备注/文号|发布(?:时间|日期)|发文(?:时间|日期)|公文生成日期|标\s*题|名\s*称|效力状态|有效性|生效日期"
    r"|废止日期|公开方式|公开范围|所属机构|信息来源|来源)\s*[:：]"
)
_TITLE_WORDS = re.compile(r"(报告|总结|情况|通报|公告|要点|计划|方案|纲要|意见|说明|汇报)$")


def _plain(s: str) -> str:
    """A line as it reads: normalized, without the pinyin a reading mode prints after characters."""
    return without_pinyin(normalize(s))


def find_title(lines: list[Line]) -> int | None:
    """Index of the title line: the first real line when it reads as a title, or a Markdown heading.

    A page's fields ("索引号:…", "发布机构:…") are passed over: they stand above the title on many
    government pages.
    """
    for i, ln in enumerate(lines):
        if ln.kind in ("blank", "boilerplate", "date"):
            continue
        s = strip_markup(ln.raw)
        if ln.kind == "content" and _PAGE_FIELD.match(s):
            continue  # (a field "标 题:…报告" too: the title line is the one below the fields)
        if ln.kind == "heading" and ln.rank == UNNUMBERED_HEADING_RANK:
            return i
        if ln.kind == "content" and len(_plain(s)) <= 60 and s[-1] not in SENT_FINAL and _TITLE_WORDS.search(_plain(s)):
            return i
        if ln.kind == "content" and title_below(lines, i) is not None:
            return i  # "中共海南省委 海南省人民政府" above "关于2022年法治政府建设情况的报告": one title
        if ln.kind == "content" and _site_name_above_title(lines, i):
            continue  # "定海区人民政府" (the site) above "2022年区人力社保局…年度报告": the title is below
        return _title_below_header(lines, i)
    return None


_BRACKET_FIELD = re.compile(r"^[\[【]\s*[\u4e00-\u9fa5 ]{2,8}\s*[\]】]")
_BRACKETED = re.compile(r"[\[【]\s*([\u4e00-\u9fa5 ]{2,8}?)\s*[\]】]\s*([^\[【]*)")
_HEADER_LINES = 40
"""How far below a page's first line its title may stand, under the site's header and navigation."""


def _title_below_header(lines: list[Line], i: int) -> int | None:
    """The title under a site's header ("中国政府网 | 重庆市人民政府网", "首页 政务公开", the page's fields): the
    first line that reads as a title, when every line above it is short and none is a sentence of the text."""
    for j in range(i, min(i + _HEADER_LINES, len(lines))):
        ln = lines[j]
        if ln.kind in ("blank", "boilerplate", "date"):
            continue
        s = strip_markup(ln.raw).strip()
        if ln.kind != "content" or not s:
            return None
        if _BRACKET_FIELD.match(s):
            continue  # "[ 索引号 ] …  [ 发文字号 ]": the page's fields in brackets
        reads_as_title = len(_plain(s)) <= 60 and s[-1] not in SENT_FINAL and _TITLE_WORDS.search(_plain(s))
        if reads_as_title and j > i:
            return j
        if len(s) > 60 or s[-1] in SENT_FINAL:
            return None  # the text has begun: no title stands above it
    return None


def _site_name_above_title(lines: list[Line], i: int) -> bool:
    """A line naming only a body or a place (a site's name: "定海区人民政府", "福州市"), right above a line that
    reads as a title but is no 关于… continuation (the page's breadcrumb and date may stand between)."""
    from ingest.meta.issuer import ISSUERS_LINE

    first = strip_markup(lines[i].raw).strip()
    if not ISSUERS_LINE.match(first) and not _only_a_place(first):
        return False
    j = next(
        (k for k in range(i + 1, min(i + 5, len(lines))) if lines[k].kind not in ("blank", "boilerplate", "date")),
        None,
    )
    if j is None or lines[j].kind != "content":
        return False
    s = strip_markup(lines[j].raw).strip()
    s = normalize(s)
    return len(s) <= 60 and s[-1:] not in SENT_FINAL and bool(_TITLE_WORDS.search(s)) and not s.startswith("关于")


def _only_a_place(s: str) -> bool:
    """Whether the line is one place's name and nothing else ("福州市", "海淀区")."""
    found = Gazetteer.default().find(s) if 2 <= len(s) <= 12 else []
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(s)


def title_below(lines: list[Line], i: int) -> int | None:
    """The index of the line that completes a title begun on line i: the "关于…的报告" under a line of its
    issuers ("中共海南省委 海南省人民政府"), or the short end of a title broken in two ("桐木漯瑶族乡人民政府关于
    2023年度法治政府建设" over "工作的报告")."""
    from ingest.meta.issuer import ISSUERS_LINE

    first = strip_markup(lines[i].raw).strip()
    j = next((k for k in range(i + 1, min(i + 3, len(lines))) if lines[k].kind != "blank"), None)
    if j is None or lines[j].kind != "content":
        return None
    s = strip_markup(lines[j].raw).strip()
    if ISSUERS_LINE.match(first):
        return j if s.startswith("关于") and len(s) <= 60 and _TITLE_WORDS.search(_plain(s)) else None
    broken = (
        j == i + 1
        and len(first) <= 60
        and first[-1:] not in SENT_FINAL
        and not _TITLE_WORDS.search(_plain(first))
        and len(s) <= 20
        and not re.search(r"[，,。；;：:！？!?]", first + s)
    )
    return j if broken and _TITLE_WORDS.search(_plain(s)) else None


_FIELD_VALUE = re.compile(r"^[-•·*\s]*(?P<label>[^:：]{1,12}?)\s*[:：]\s*(?P<value>.*?)\s*$")
DATE_FIELD = re.compile(r"(?:发文|成文|发布)\s*(?:时间|日期)")


def head_fields(lines: list[Line], title_i: int | None) -> list[tuple[str, str, Line]]:
    """The page's fields above its title ("索 引 号:370402/2022-00029", "发文时间:2022年02月28日"): (label
    without spaces, value, line)."""
    out: list[tuple[str, str, Line]] = []
    for ln in lines[: title_i if title_i is not None else 15]:
        s = strip_markup(ln.raw)
        m = _FIELD_VALUE.match(s) if ln.kind == "content" and _PAGE_FIELD.match(s) else None
        if m:
            out.append((re.sub(r"\s+", "", m.group("label")), m.group("value"), ln))
        elif ln.kind == "content" and _BRACKET_FIELD.match(s):
            # "[ 索引号 ]11500229…/2021-00118 [ 发文字号 ] [ 发布日期 ]2021-07-23": several fields in brackets
            for label, value in _BRACKETED.findall(s):
                if value.strip():
                    out.append((re.sub(r"\s+", "", label), value.strip(), ln))
    return out


def division_code(index_number: str) -> str | None:
    """The administrative division code a page's 索引号 begins with: its first six digits ("370402/2022-00029"),
    or the code inside a unified social credit code ("11440106007485073X/…" → 440106)."""
    v = index_number.strip()
    credit = re.match(r"[0-9A-Z]{2}(\d{6})[0-9A-Z]{9}[0-9A-Z](?![0-9A-Z])", v)
    if credit:
        return credit.group(1)
    plain = re.match(r"(\d{6})(?!\d)", v)
    return plain.group(1) if plain else None
