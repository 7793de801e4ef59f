"""Government web pages: the article body of an HTML page as lines, page chrome dropped."""

from __future__ import annotations

import re
from typing import Any

from bot.errors import IngestError
from ingest.formats.lines import CELL_SEP, Converted, clean_line, heading_line

_HTML_DROP = (
    "script style noscript template iframe object embed svg canvas form button select input textarea "
    "link meta head title"
).split()
_HTML_CHROME_TAGS = ("nav", "header", "footer", "aside")
_HTML_BLOCK = set(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table tbody thead tfoot tr section article main blockquote "
    "pre center address figure figcaption hr header footer".split()
)
# id/class words of page chrome: menus, breadcrumbs, share and print widgets, footers, related links.
_CHROME = re.compile(
    r"(?:^|[-_\s])(nav|navbar|menu|breadcrumbs?|crumbs?|bread|position|location|weizhi|dqwz|share|bdshare"
    r"|jiathis|print|dayin|footer|foot|header|topbar|sidebar|toolbar|tools|fontsize|zihao|related|xgwz|xglj"
    r"|pager|pagination|prevnext|copyright|qrcode|ewm|erweima|search|login|banner)(?:$|[-_\s\d])",
    re.I,
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w:.]+)""", re.I)
_GB_FAMILY = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030", "cp936", "csgb2312", "euc-cn"}
_PAGE_DATE = re.compile(
    r"(发布(?:日期|时间)|发文日期|成文日期|日期|时间)\s*[:：]\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?)"
)
_META_TITLE = ("articletitle", "dc.title", "og:title")
_META_DATE = ("pubdate", "publishdate", "firstpublishedtime", "dc.date", "article:published_time")


def html_charset(data: bytes) -> str | None:
    """The charset a page declares in <meta charset> or <meta http-equiv=Content-Type>, GB names as gb18030."""
    m = _CHARSET.search(data[:8192])
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    return "gb18030" if name in _GB_FAMILY else name


def _cjk_count(s: str) -> int:
    return sum(1 for ch in s if "\u4e00" <= ch <= "\u9fff")


def _own_text(el: Any) -> int:
    """Chinese characters of an element's text outside links (menus and link lists are mostly links)."""
    from bs4 import NavigableString

    n = 0
    for s in el.descendants:
        if isinstance(s, NavigableString) and s.find_parent("a") is None:
            n += _cjk_count(str(s))
    return n


def _main_block(body: Any) -> Any:
    """The article body: descend from <body> while one container child holds most of the non-link text."""
    node = body
    total = _own_text(node)
    while True:
        best, best_n = None, 0
        for child in node.find_all(True, recursive=False):
            if child.name in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "pre"):
                continue
            n = _own_text(child)
            if n > best_n:
                best, best_n = child, n
        if best is None or best_n < 0.8 * total or best_n == 0:
            return node
        node, total = best, best_n


def _is_chrome(el: Any) -> bool:
    if el.name != "nav" and el.find("h1") is not None:  # an article's <header> holds its title
        return False
    if el.name in _HTML_CHROME_TAGS:
        return True
    words = " ".join([el.get("id") or "", *(el.get("class") or [])])
    return bool(words.strip()) and bool(_CHROME.search(words))


def _html_lines(el: Any, out: list[str], buf: list[str]) -> None:
    """Walk an element: block elements end lines, <br> ends a line, table rows become cells joined by ｜."""
    from bs4 import NavigableString, Tag

    def flush() -> None:
        line = clean_line("".join(buf), join_cjk=True)
        buf.clear()
        if line:
            out.append(line)

    for node in el.children:
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:  # not a comment, CDATA or doctype
                buf.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if name == "br":
            flush()
        elif name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            flush()
            inner: list[str] = []
            _html_lines(node, inner, [])
            out.append(heading_line(clean_line("".join(inner), join_cjk=True), int(name[1])))
        elif name == "tr":
            flush()
            cells = node.find_all(["td", "th"], recursive=False)
            texts, layout = [], False
            for cell in cells:
                parts: list[str] = []
                _html_lines(cell, parts, [])
                texts.append(clean_line(" ".join(parts), join_cjk=True))
                layout = layout or len(parts) > 2 or len(texts[-1]) > 100 or cell.find("table") is not None
            if layout:
                for cell in cells:  # a layout table (older sites): its cells hold paragraphs
                    _html_lines(cell, out, [])
            else:
                out.append(CELL_SEP.join(t for t in texts if t))
        elif name in _HTML_BLOCK:
            flush()
            _html_lines(node, out, buf)
            flush()
        else:
            _html_lines(node, out, buf)
    if el.name in _HTML_BLOCK or el.name in ("td", "th", "body", "[document]"):
        flush()


def _meta_content(soup: Any, names: tuple[str, ...]) -> str | None:
    for meta in soup.find_all("meta"):
        if (meta.get("name") or meta.get("property") or "").lower() in names and meta.get("content"):
            return str(meta["content"])
    return None


def _page_title(soup: Any, meta_title: str | None, tag_title: str | None) -> str | None:
    """The report title: an ArticleTitle <meta>, else an <h1> that is not a link, else the <title> without
    the site name ('报告标题_某某区人民政府')."""
    if meta_title and _cjk_count(meta_title) >= 4:
        return clean_line(meta_title, join_cjk=True)
    for h in soup.find_all("h1"):
        text = clean_line(h.get_text(" "), join_cjk=True)
        if h.find_parent("a") is None and h.find("a") is None and _cjk_count(text) >= 6:
            return text
    if tag_title:
        parts = re.split(r"\s*[_|｜]\s*|\s+[-–—]\s+", clean_line(tag_title, join_cjk=True))
        parts = [p for p in parts if _cjk_count(p) >= 4]
        return max(parts, key=len) if parts else None
    return None


def _page_date(block: Any, meta_date: str | None) -> str | None:
    """A publish date: a <meta>, else a labelled date before the article body (the info bar under the title)."""
    if meta_date:
        m = re.match(r"\d{4}-\d{1,2}-\d{1,2}", meta_date.strip())
        if m:
            return f"发布日期：{m.group(0)}"
    before: list[str] = []
    for s in block.find_all_previous(string=True):
        before.append(str(s))
        if len(before) > 200:
            break
    m = _PAGE_DATE.search(" ".join(reversed(before)))
    return f"{m.group(1)}：{m.group(2)}" if m else None


def _same_title(title: str, line: str) -> bool:
    line = line.lstrip("# ")
    return len(line) >= 6 and (title in line or line in title)


def html_to_text(html: str, name: str) -> Converted:
    """The article of a government page as lines: navigation, breadcrumbs, share/print widgets, scripts and
    footers dropped; headings, paragraphs, <br> lines and table rows kept; the title (from the page's
    <h1>, its ArticleTitle <meta> or its <title>) and a labelled publish date put first."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta_title = _meta_content(soup, _META_TITLE)
    meta_date = _meta_content(soup, _META_DATE)
    tag_title = soup.title.get_text() if soup.title else None
    for el in soup.find_all(_HTML_DROP):
        if not el.decomposed:
            el.decompose()
    body = soup.body or soup
    # Drop page chrome first, unless an element is most of the page (a class like "main-header-wrap").
    total = max(_own_text(body), 1)
    for el in body.find_all(True):
        if not el.decomposed and _is_chrome(el) and _own_text(el) < 0.3 * total:
            el.decompose()
    block = _main_block(body)
    lines: list[str] = []
    _html_lines(block, lines, [])
    lines = [ln for ln in lines if ln]
    head: list[str] = []
    title = _page_title(soup, meta_title, tag_title)
    if title and not (lines and _same_title(title, lines[0])):
        head.append(heading_line(title, 1))
    date = _page_date(block, meta_date)
    if date and not any(date.split("：", 1)[1] in ln for ln in lines[:5]):
        head.append(date)
    text = "\n".join(head + lines)
    if not lines or not (_cjk_count(text) or re.search(r"\w{3}", text)):
        raise IngestError(f"{name}: the page has no article text; save the report's own page, not an index page.")
    return text + "\n", None
