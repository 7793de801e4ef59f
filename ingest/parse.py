"""Parsing a report into its official heading tree, with every span in original-file offsets.

The report is read line by line. Each line is boilerplate (browser warnings, breadcrumbs, page footers,
publish-date lines), the title, a heading, or content. Headings are ranked by their numbering style
(第X章 → 一、 → （一） → 1. → （1）), never by Markdown level. Content lines broken by page-break blank lines
are joined in a *clean view* of the text, whose every character maps back to the original file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text.analysis import normalize
from bot.text.gazetteer import Gazetteer
from bot.types import ReportMeta, SectionRecord, SpanMap
from ingest.load import RawReport

# --- line classes -----------------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十百零〇两"
HEADING_STYLES: list[tuple[float, re.Pattern[str]]] = [
    (0.0, re.compile(rf"^第[{_CN_NUM}\d]+[章部篇]")),
    (0.5, re.compile(rf"^第[{_CN_NUM}\d]+节")),
    (1.0, re.compile(rf"^[{_CN_NUM}]+(?:[、．]|\.(?!\d))")),
    (2.0, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (3.0, re.compile(r"^\d{1,2}(?:[、．]|\.(?!\d))")),
    (4.0, re.compile(r"^[（(]\d{1,2}[）)]")),
    (5.0, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]")),
]
UNNUMBERED_HEADING_RANK = 0.8

_BOILERPLATE = [
    re.compile(r"浏览器.*(升级|版本|极速模式|最佳体验|兼容|显示)|(升级|更换).*浏览器"),
    # a breadcrumb: "您所在的位置：", "当前位置：", or a trail from the home page ("首页 >> 年度报告 >> …")
    re.compile(r"^(?:[您你])?(?:当前|现在|目前)?(?:所在)?的?(?:位置|栏目)\s*[:：]|^首页\s*(?:>>?|»|→|＞|/)"),
    re.compile(r"扫一扫在手机|手机扫一扫|用手机扫描|扫码在手机"),
    re.compile(
        r"^【?\s*(打印本页|打印|关闭窗口|关闭|返回顶部|收藏|分享到?)\s*】?(\s*【?\s*(打印本页|打印|关闭窗口|关闭|返回顶部|收藏)\s*】?)*$"
    ),
    re.compile(r"(字号|字体)\s*[:：]?\s*【?\s*大\s*】?\s*【?\s*中\s*】?\s*【?\s*小"),
    re.compile(
        r"^(上一篇|下一篇|相关链接|相关阅读|相关文章|责任编辑|编辑|来源|信息来源|浏览次数|阅读次数|点击数|访问量)\s*[:：]"
    ),
    re.compile(r"版权所有|ICP备|网站标识码|主办单位\s*[:：]|承办单位\s*[:：]|政府网站找错|网站地图"),
    # the site's banner: its reading options, and today's date beside the site name ("…人民政府 2019年12月3日星期二",
    # "今天是:2024年1月1日")
    re.compile(
        r"无障碍|简体\s*[|｜]?\s*繁体|繁体\s*[|｜]?\s*简体|\d{1,2}月\d{1,2}日\s*星期[一二三四五六日天]|^今天是\s*[:：]?"
    ),
]
# a line of the page's fields that dates it: "来源:静海区人民政府办公室 发布时间:2024-03-28 09:18"
_FIELDS_WITH_DATE = re.compile(
    r"^(?:(?:来源|信息来源|作者|发布机构|发布单位|文章来源)\s*[:：]\s*\S{1,30}\s+)+"
    r"(?:发布|发文|成文|印发)?(?:日期|时间)\s*[:：]\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}"
)
_DATE_LINE = re.compile(
    r"^(?:(?:发布|发文|成文|印发)?(?:日期|时间)\s*[:：]?\s*)?"
    r"(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{1,2})\.(\d{1,2})\.(\d{4}))"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    # the page's own fields after the date ("来源:区司法局 责任编辑:… 浏览量:1"): who posted the page, not its writer
    r"(?:\s*(?:来源|信息来源|作者|责任编辑|编辑|发布机构|发布单位|浏览次数|浏览量|阅读次数|点击数|访问量|字号)\s*[:：].*"
    r"|\s*[|｜]\s*[\u4e00-\u9fa5]{2,30})?\s*$"  # ("2026-01-20 17:01 | 武汉市水务局": the poster after a bar)
)
# a field of the page's head, above its title: "- 索 引 号:370402/2022-00029", "• 发布机构:区人民政府办公室"
_PAGE_FIELD = re.compile(
    r"^[-•·*\s]*(?:索\s*引\s*号|主题分类|组配分类|主\s*题\s*词|发布机构|发文机关|发文单位|成文(?:时间|日期)|文\s*号"
    r"|发文字号|备注/文号|发布(?:时间|日期)|发文(?:时间|日期)|公文生成日期|标\s*题|名\s*称|效力状态|有效性|生效日期"
    r"|废止日期|公开方式|公开范围|所属机构|信息来源|来源)\s*[:：]"
)
_SENT_FINAL = '。！？；!?;…”"’」』）)】:：'
_TITLE_WORDS = re.compile(r"(报告|总结|情况|通报|公告|要点|计划|方案|纲要|意见|说明|汇报)$")
# a paragraph broken by a blank line goes on in the next line only from a line this long (a wrapped line)
_WRAPPED_MIN = 20
_MD_PREFIX = re.compile(r"^\s*#{1,6}\s*")


@dataclass
class Line:
    start: int  # offset of the first character
    end: int  # offset of the line end (before \r\n)
    raw: str
    kind: str = "content"  # blank | boilerplate | date | title | heading | content | tail
    rank: float = 0.0
    heading: str = ""
    is_paragraph: bool = False  # a numbered paragraph: heading is its lead phrase, the rest is content
    keep: list[tuple[int, int]] = field(default_factory=list)  # original spans kept in the clean view


@dataclass
class Section:
    """A node of the heading tree. `start`/`end` are original offsets of the whole section."""

    path: list[str]
    rank: float
    start: int
    end: int
    clean_start: int
    clean_end: int  # end of the whole section (children included), in clean offsets
    own_end: int  # end of the section's own text, before its first child, in clean offsets


@dataclass
class ParsedReport:
    meta: ReportMeta
    text: str
    clean: str
    spans: SpanMap
    sections: list[Section]  # document order; sections[0] is the preamble (path [])
    boilerplate: list[tuple[int, int]]  # original spans left out of every section
    date_text: str | None = None

    def section_dicts(self) -> list[SectionRecord]:
        return [SectionRecord(path=s.path, start=s.start, end=s.end) for s in self.sections if s.path]


def strip_markup(s: str) -> str:
    """A line without Markdown heading marks and bold markers, trimmed."""
    return _MD_PREFIX.sub("", s).replace("**", "").replace("__", "").strip().strip("\u3000").strip()


def _split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        content_end = end - 1 if raw.endswith("\r") else end
        lines.append(Line(start=pos, end=content_end, raw=text[pos:content_end]))
        pos = end + 1
    return lines


def _heading_of(stripped: str) -> tuple[float, str, bool] | None:
    """(rank, heading text, is_paragraph) when the line starts with an official numbering."""
    for rank, pat in HEADING_STYLES:
        m = pat.match(stripped)
        if not m:
            continue
        body = stripped[m.end() :].strip()
        if not body:
            return None
        # A short line is a heading; a long one is a numbered paragraph led by its phrase.
        first_stop = re.search(r"[。！？；:：]", stripped)
        if len(stripped) <= 50 and (first_stop is None or first_stop.end() >= len(stripped.rstrip()) - 0):
            return rank, stripped.rstrip("。；;:： "), False
        lead = stripped[: first_stop.start()] if first_stop else stripped
        if len(lead) > 40:
            lead = lead[:30] + "…"
        return rank, lead.rstrip("，,、 "), True
    return None


def _is_breadcrumb(raw: str) -> bool:
    s = strip_markup(raw)
    return "位置" in s[:12] or "栏目" in s[:8] or bool(re.match(r"首页\s*(?:>>?|»|→|＞|/)", s))


def _classify(lines: list[Line], text: str) -> None:
    for ln in lines:
        s = strip_markup(ln.raw)
        if not s:
            ln.kind = "blank"
        elif _DATE_LINE.match(normalize(s)) or _FIELDS_WITH_DATE.match(normalize(s)):
            ln.kind = "date"  # ("来源:区政府办公室 发布时间:2024-03-28 09:18": the page's fields, its date among them)
        elif any(p.search(normalize(s)) for p in _BOILERPLATE):  # (a page in traditional characters too)
            ln.kind = "boilerplate"
        else:
            h = _heading_of(s)
            if h:
                ln.kind, (ln.rank, ln.heading, ln.is_paragraph) = "heading", h
            elif _is_unnumbered_heading(ln.raw, s):
                ln.kind, ln.rank, ln.heading = "heading", UNNUMBERED_HEADING_RANK, s.rstrip("。")


def _is_unnumbered_heading(raw: str, s: str) -> bool:
    r = raw.strip()
    md = bool(_MD_PREFIX.match(r)) and r.lstrip().startswith("#")
    bold = r.startswith("**") and r.endswith("**") and r.count("**") == 2
    return (md or bold) and len(s) <= 40


def _find_title(lines: list[Line]) -> int | None:
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
        if ln.kind == "content" and len(s) <= 60 and s[-1] not in _SENT_FINAL and _TITLE_WORDS.search(normalize(s)):
            return i
        if ln.kind == "content" and _title_below(lines, i) is not None:
            return i  # "中共海南省委 海南省人民政府" above "关于2022年法治政府建设情况的报告": one title
        if ln.kind == "content" and _site_name_above_title(lines, i):
            continue  # "定海区人民政府" (the site) above "2022年区人力社保局…年度报告": the title is below
        return None
    return None


def _site_name_above_title(lines: list[Line], i: int) -> bool:
    """A line naming only a body or a place (a site's name: "定海区人民政府", "福州市"), right above a line that
    reads as a title but is no 关于… continuation (the page's breadcrumb and date may stand between)."""
    from ingest.meta import ISSUERS_LINE

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
    return len(s) <= 60 and s[-1:] not in _SENT_FINAL and bool(_TITLE_WORDS.search(s)) and not s.startswith("关于")


def _only_a_place(s: str) -> bool:
    """Whether the line is one place's name and nothing else ("福州市", "海淀区")."""
    found = Gazetteer.default().find(s) if 2 <= len(s) <= 12 else []
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(s)


def _title_below(lines: list[Line], i: int) -> int | None:
    """The index of the line that completes a title begun on line i: the "关于…的报告" under a line of its
    issuers ("中共海南省委 海南省人民政府"), or the short end of a title broken in two ("桐木漯瑶族乡人民政府关于
    2023年度法治政府建设" over "工作的报告")."""
    from ingest.meta import ISSUERS_LINE

    first = strip_markup(lines[i].raw).strip()
    j = next((k for k in range(i + 1, min(i + 3, len(lines))) if lines[k].kind != "blank"), None)
    if j is None or lines[j].kind != "content":
        return None
    s = strip_markup(lines[j].raw).strip()
    if ISSUERS_LINE.match(first):
        return j if s.startswith("关于") and len(s) <= 60 and _TITLE_WORDS.search(normalize(s)) else None
    broken = (
        j == i + 1
        and len(first) <= 60
        and first[-1:] not in _SENT_FINAL
        and not _TITLE_WORDS.search(normalize(first))
        and len(s) <= 20
        and not re.search(r"[，,。；;：:！？!?]", first + s)
    )
    return j if broken and _TITLE_WORDS.search(normalize(s)) else None


_FIELD_VALUE = re.compile(r"^[-•·*\s]*(?P<label>[^:：]{1,12}?)\s*[:：]\s*(?P<value>.*?)\s*$")
_DATE_FIELD = re.compile(r"(?:发文|成文|发布)\s*(?:时间|日期)")


def _head_fields(lines: list[Line], title_i: int | None) -> list[tuple[str, str, Line]]:
    """The page's fields above its title ("索 引 号:370402/2022-00029", "发文时间:2022年02月28日"): (label
    without spaces, value, line)."""
    out: list[tuple[str, str, Line]] = []
    for ln in lines[: title_i if title_i is not None else 15]:
        s = strip_markup(ln.raw)
        m = _FIELD_VALUE.match(s) if ln.kind == "content" and _PAGE_FIELD.match(s) else None
        if m:
            out.append((re.sub(r"\s+", "", m.group("label")), m.group("value"), ln))
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


def _mark_tail(lines: list[Line]) -> None:
    """Mark what follows the report's end: a signature, or unrelated items pasted after it.

    After the last top-level section has some content, a short line that ends with no punctuation and
    follows a finished sentence starts the tail (a news headline, an issuer's signature).
    """
    heads = [i for i, ln in enumerate(lines) if ln.kind == "heading"]
    if not heads:
        return
    top = min(lines[i].rank for i in heads)
    last_top = max(i for i in heads if lines[i].rank == top)
    seen_content = False
    prev_final = False
    for i in range(last_top + 1, len(lines)):
        ln = lines[i]
        if ln.kind in ("blank", "boilerplate", "date"):
            continue
        s = strip_markup(ln.raw)
        if ln.kind == "content":
            # (a table row, cells joined by ｜ in text converted from HTML or Word, is no signature)
            if seen_content and prev_final and len(s) <= 40 and s[-1] not in _SENT_FINAL and "｜" not in s:
                for j in range(i, len(lines)):
                    if lines[j].kind not in ("blank", "boilerplate", "date"):
                        lines[j].kind = "tail"
                return
            seen_content = True
        prev_final = _ends_sentence(s)


def _ends_sentence(s: str) -> bool:
    """Ends with a sentence stop, possibly followed by a closing quote or a bracketed note (供稿)."""
    s = re.sub(r"[（(][^（()）]{0,20}[)）]$", "", s.rstrip()).rstrip("”’」』\"'")
    return bool(s) and s[-1] in "。！？；!?;"


def _keep_spans(ln: Line, text: str) -> list[tuple[int, int]]:
    """Original spans of a line's text without Markdown marks and surrounding spaces."""
    seg = text[ln.start : ln.end]
    spans: list[tuple[int, int]] = []
    m = _MD_PREFIX.match(seg) if seg.lstrip().startswith("#") else None
    i = m.end() if m else 0
    pieces = []
    for part in re.split(r"(\*\*|__)", seg[i:]):
        if part in ("**", "__"):
            i += len(part)
            continue
        pieces.append((ln.start + i, ln.start + i + len(part)))
        i += len(part)
    for a, b in pieces:
        if b > a:
            spans.append((a, b))
    # trim whitespace (ASCII and full-width) at both ends
    while spans and not text[spans[0][0] : spans[0][1]].strip():
        spans.pop(0)
    while spans and not text[spans[-1][0] : spans[-1][1]].strip():
        spans.pop()
    if spans:
        a, b = spans[0]
        while a < b and text[a].isspace():
            a += 1
        spans[0] = (a, b)
        a, b = spans[-1]
        while b > a and text[b - 1].isspace():
            b -= 1
        spans[-1] = (a, b)
    return [(a, b) for a, b in spans if b > a]


def _trimmed_span(ln: Line, text: str) -> tuple[int, int]:
    """The line's span without Markdown marks and surrounding spaces (its first and last kept pieces)."""
    keep = _keep_spans(ln, text)
    return (keep[0][0], keep[-1][1]) if keep else (ln.start, ln.end)


def parse_text(raw: RawReport) -> ParsedReport:
    """Parse a report into the clean view and its section tree (metadata filled by `ingest.meta`)."""
    from ingest.meta import extract_meta

    text = raw.text
    lines = _split_lines(text)
    _classify(lines, text)
    title_i = _find_title(lines)
    title_j = _title_below(lines, title_i) if title_i is not None else None
    for k in (title_i, title_j):
        if k is not None:
            lines[k].kind = "title"
    _mark_tail(lines)

    # Build the clean view.
    clean_parts: list[str] = []
    runs: list[tuple[int, int]] = []
    clen = 0
    line_clean_start: dict[int, int] = {}
    line_clean_end: dict[int, int] = {}
    prev: Line | None = None

    def emit(a: int, b: int) -> None:
        nonlocal clen
        if not runs or runs[-1][1] + (clen - runs[-1][0]) != a:
            runs.append((clen, a))
        clean_parts.append(text[a:b])
        clen += b - a

    body = [i for i, ln in enumerate(lines) if ln.kind in ("heading", "content")]
    for i in body:
        ln = lines[i]
        ln.keep = _keep_spans(ln, text)
        if not ln.keep:
            continue
        if prev is not None:
            joined = (
                ln.kind == "content"
                and (prev.kind == "content" or prev.is_paragraph)
                and text[prev.keep[-1][1] - 1] not in _SENT_FINAL
                and ln.start > prev.end + (2 if text.startswith("\r\n", prev.end) else 1)  # blank line between
                and prev.end - prev.start >= _WRAPPED_MIN  # (a short line is a line of its own: "武汉市水务局")
            )
            if not joined:
                nl = prev.end if text[prev.end] == "\n" else prev.end + 1
                emit(nl, nl + 1)
        line_clean_start[i] = clen
        for a, b in ln.keep:
            emit(a, b)
        line_clean_end[i] = clen
        prev = ln
    clean = "".join(clean_parts)
    spans = SpanMap(tuple(runs) if runs else ((0, 0),))

    sections = _build_sections(lines, line_clean_start, clean, spans)
    boiler = [(ln.start, ln.end) for ln in lines if ln.kind in ("boilerplate", "tail", "date")]
    date_line = next((ln for ln in lines if ln.kind == "date"), None)
    date_text = strip_markup(date_line.raw) if date_line else None
    title_line = strip_markup(lines[title_i].raw) if title_i is not None else None
    if title_line and title_j is not None:
        title_line = title_line.strip() + strip_markup(lines[title_j].raw).strip()
    bread = next((strip_markup(ln.raw) for ln in lines if ln.kind == "boilerplate" and _is_breadcrumb(ln.raw)), None)
    tail = [strip_markup(ln.raw).strip() for ln in lines if ln.kind == "tail" and ln.raw.strip()]
    signature = next((t for t in tail[:3] if len(t) <= 40), None)
    fields = _head_fields(lines, title_i)
    code = next((division_code(v) for label, v, _ln in fields if label == "索引号"), None)
    if date_line is None:  # no date line: the page's date field ("发文时间:2022年02月28日")
        date_field = next(((v, ln) for label, v, ln in fields if _DATE_FIELD.fullmatch(label)), None)
        if date_field:
            date_text, date_line = date_field
    meta = extract_meta(
        raw, clean, title_line=title_line, date_text=date_text, breadcrumb=bread, signature=signature, code=code
    )
    if title_i is not None:
        meta.title_span = list(_trimmed_span(lines[title_i], text))
        if title_j is not None:
            meta.title_span[1] = _trimmed_span(lines[title_j], text)[1]
    if date_line is not None and meta.published:
        a, b = date_line.start, date_line.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        meta.published_span = [a, b]
    return ParsedReport(
        meta=meta,
        text=text,
        clean=clean,
        spans=spans,
        sections=sections,
        boilerplate=boiler,
        date_text=date_text,
    )


def _build_sections(lines: list[Line], line_clean_start: dict[int, int], clean: str, spans: SpanMap) -> list[Section]:
    heads = [i for i in sorted(line_clean_start) if lines[i].kind == "heading"]
    n = len(clean)
    first = line_clean_start[heads[0]] if heads else n
    sections = [Section([], -1.0, 0, 0, 0, n, first)]
    stack: list[tuple[float, str]] = []
    starts = [line_clean_start[i] for i in heads]
    for k, i in enumerate(heads):
        ln = lines[i]
        while stack and stack[-1][0] >= ln.rank:
            stack.pop()
        stack.append((ln.rank, ln.heading))
        cs = starts[k]
        own_end = starts[k + 1] if k + 1 < len(heads) else n
        ce = n
        for k2 in range(k + 1, len(heads)):
            if lines[heads[k2]].rank <= ln.rank:
                ce = starts[k2]
                break
        sections.append(Section([h for _, h in stack], ln.rank, 0, 0, cs, ce, own_end))
    for s in sections:
        a, b = s.clean_start, s.clean_end
        while b > a and clean[b - 1].isspace():
            b -= 1
        s.start, s.end = spans.span(a, b) if b > a else (0, 0)
    return sections
