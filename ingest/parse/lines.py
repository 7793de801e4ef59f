"""The lines of a report and their classes: boilerplate, date, heading (ranked by its numbering style),
content; the page's tail, and the spans of a line that the clean view keeps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text.analysis import normalize, without_pinyin

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
    # the site's menu: a line of link labels from the home page ("首页 走进大足 政务公开 政务服务"), or of sites
    # ("中国政府网 | 重庆市人民政府网")
    re.compile(
        r"^首页(?:\s+[\u4e00-\u9fa5]{2,8}){3,}\s*$|^(?:[\u4e00-\u9fa5]{2,12}网\s*[|｜/]\s*)+[\u4e00-\u9fa5]{2,12}网"
    ),
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
SENT_FINAL = '。！？；!?;…”"’」』）)】:：'
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


def strip_markup(s: str) -> str:
    """A line without Markdown heading marks and bold markers, trimmed."""
    return _MD_PREFIX.sub("", s).replace("**", "").replace("__", "").strip().strip("\u3000").strip()


def split_lines(text: str) -> list[Line]:
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


def is_breadcrumb(raw: str) -> bool:
    s = strip_markup(raw)
    return "位置" in s[:12] or "栏目" in s[:8] or bool(re.match(r"首页\s*(?:>>?|»|→|＞|/)", s))


def classify(lines: list[Line], text: str) -> None:
    for ln in lines:
        s = strip_markup(ln.raw)
        if not s:
            ln.kind = "blank"
        elif _DATE_LINE.match(without_pinyin(normalize(s))) or _FIELDS_WITH_DATE.match(without_pinyin(normalize(s))):
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


def mark_tail(lines: list[Line]) -> None:
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
    announced: list[str] = []  # the attachments the report lists ("附件：2023年度…一览表"), part of the report
    for i in range(last_top + 1, len(lines)):
        ln = lines[i]
        if ln.kind in ("blank", "boilerplate", "date"):
            continue
        s = strip_markup(ln.raw)
        announced += [normalize(a) for a in _ATTACHMENT.findall(s)]
        if ln.kind == "content" and len(s) >= 4 and any(a.startswith(normalize(s).rstrip("。")) for a in announced):
            # the attachment itself, under its own title: the rest of the page is the report's, not a tail
            ln.kind, ln.rank, ln.heading = "heading", top, s.rstrip("。")
            return
        if ln.kind == "content":
            # (a table row, cells joined by ｜ in text converted from HTML or Word, is no signature)
            if seen_content and prev_final and len(s) <= 40 and s[-1] not in SENT_FINAL and "｜" not in s:
                for j in range(i, len(lines)):
                    if lines[j].kind not in ("blank", "boilerplate", "date"):
                        lines[j].kind = "tail"
                return
            seen_content = True
        prev_final = _ends_sentence(s)


# an attachment the report lists after its text: "附件：1.2023年度…一览表（具体见附表）"
_ATTACHMENT = re.compile(r"^附\s*件\s*\d*\s*[:：]\s*(?:\d+\s*[.、．]\s*)?([^（(：:]{4,60})")


def _ends_sentence(s: str) -> bool:
    """Ends with a sentence stop, possibly followed by a closing quote or a bracketed note (供稿)."""
    s = re.sub(r"[（(][^（()）]{0,20}[)）]$", "", s.rstrip()).rstrip("”’」』\"'")
    return bool(s) and s[-1] in "。！？；!?;"


def keep_spans(ln: Line, text: str) -> list[tuple[int, int]]:
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


def trimmed_span(ln: Line, text: str) -> tuple[int, int]:
    """The line's span without Markdown marks and surrounding spaces (its first and last kept pieces)."""
    keep = keep_spans(ln, text)
    return (keep[0][0], keep[-1][1]) if keep else (ln.start, ln.end)
