"""Converting HTML pages, Word files and PDFs into the plain text that ingest parses and citations point into.

Each converter returns ``(text, page_starts)``: one paragraph per line, headings on their own lines with their
official numbering (一、（一）1.) kept, and, for a PDF, the offset where each page begins in that text. The
converted text *is* the report's text from then on: offsets, quotes and the passage API all refer to it.
Headings that carry no official numbering are written as Markdown headings (``## 工作概况``), the one mark
the parser reads as an unnumbered heading.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from typing import Any

from bot.errors import IngestError

log = logging.getLogger(__name__)

Converted = tuple[str, list[int] | None]

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\r\n\f\v\xa0\u3000]+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u3000\u2002\u2003\u200b\ufeff]+")
_CN_DIGITS = "一二三四五六七八九十百零〇两"
# The official numbering the parser ranks headings by (kept in step with ingest.parse.HEADING_STYLES).
_NUMBERED = re.compile(
    rf"^(第[{_CN_DIGITS}\d]+[章部篇节]|[{_CN_DIGITS}]+(?:[、．]|\.(?!\d))|[（(][{_CN_DIGITS}]+[）)]"
    r"|\d{1,2}(?:[、．]|\.(?!\d))|[（(]\d{1,2}[）)]|[①②③④⑤⑥⑦⑧⑨⑩])"
)
_SENT_FINAL = "。！？；：!?;:"
CELL_SEP = "｜"


def clean_line(s: str, *, join_cjk: bool) -> str:
    """One line of converted text: whitespace runs made one space, ends trimmed; with `join_cjk`, the
    whitespace between two CJK characters (source line wraps, layout spaces) removed."""
    if join_cjk:
        s = _SPACE_IN_CJK.sub("", s)
    return _SPACES.sub(" ", s).strip()


def heading_line(text: str, level: int) -> str:
    """A heading as a line: as it is when officially numbered, else marked ``#`` × level for the parser."""
    if not text or _NUMBERED.match(text):
        return text
    return "#" * max(1, min(level, 6)) + " " + text


# --- HTML -------------------------------------------------------------------------------------------

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


# --- DOCX -------------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return str(n)


def _format_number(n: int, fmt: str) -> str | None:
    if fmt in ("decimal", "decimalZero"):
        return f"{n:02d}" if fmt == "decimalZero" and n < 10 else str(n)
    if fmt.startswith("chinese") or fmt in ("japaneseCounting", "taiwaneseCounting", "ideographDigital"):
        return _cn_number(n)
    if fmt == "decimalFullWidth":
        return str(n).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    if fmt.startswith("decimalEnclosedCircle") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt in ("lowerLetter", "upperLetter") and 1 <= n <= 26:
        c = chr(ord("a") + n - 1)
        return c.upper() if fmt == "upperLetter" else c
    if fmt in ("lowerRoman", "upperRoman") and 1 <= n < 40:
        r = "".join(s * c for s, c in zip(("x", "ix", "v", "iv", "i"), _roman(n), strict=True))
        return r.upper() if fmt == "upperRoman" else r
    return None  # bullet, none, and formats we do not render


def _roman(n: int) -> tuple[int, ...]:
    out = []
    for v in (10, 9, 5, 4, 1):
        out.append(n // v)
        n %= v
    return tuple(out)


class _WordNumbering:
    """Renders Word's automatic list numbers (numbering.xml), which are not part of the paragraph text."""

    def __init__(self, document: Any):
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # abstractNumId -> ilvl -> (start, fmt, text)
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNumId, start overrides)
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for ab in root.iter(f"{_W}abstractNum"):
            lv: dict[int, tuple[int, str, str]] = {}
            for lvl in ab.iter(f"{_W}lvl"):
                start = lvl.find(f"{_W}start")
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                lv[int(lvl.get(f"{_W}ilvl", "0"))] = (
                    int(start.get(f"{_W}val", "1")) if start is not None else 1,
                    fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{_W}val", "") if text is not None else "",
                )
            self.levels[ab.get(f"{_W}abstractNumId", "")] = lv
        for num in root.iter(f"{_W}num"):
            ab_id = num.find(f"{_W}abstractNumId")
            overrides = {}
            for ov in num.iter(f"{_W}lvlOverride"):
                so = ov.find(f"{_W}startOverride")
                if so is not None:
                    overrides[int(ov.get(f"{_W}ilvl", "0"))] = int(so.get(f"{_W}val", "1"))
            if ab_id is not None:
                self.nums[num.get(f"{_W}numId", "")] = (ab_id.get(f"{_W}val", ""), overrides)

    def label(self, paragraph: Any) -> str:
        """The number Word shows in front of `paragraph` ('一、', '（二）', '3.'), or '' if none."""
        num_id, ilvl = _num_pr(paragraph)
        if not num_id or num_id == "0" or num_id not in self.nums:
            return ""
        ab_id, overrides = self.nums[num_id]
        levels = self.levels.get(ab_id, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(ab_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = levels[ilvl][2]
        for k in range(ilvl + 1):
            if f"%{k + 1}" not in text:
                continue
            start, fmt, _ = levels.get(k, (1, "decimal", ""))
            shown = _format_number(counters.get(k, start), fmt)
            if shown is None:
                return ""
            text = text.replace(f"%{k + 1}", shown)
        return "" if levels[ilvl][1] in ("bullet", "none") else text


def _style_chain(paragraph: Any) -> list[Any]:
    chain: list[Any] = []
    style = paragraph.style
    while style is not None and len(chain) < 10:
        chain.append(style)
        style = style.base_style
    return chain


def _num_pr(paragraph: Any) -> tuple[str | None, int]:
    for ppr in [paragraph._p.pPr] + [s.element.pPr for s in _style_chain(paragraph)]:
        numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
        if numpr is not None:
            num = numpr.find(f"{_W}numId")
            lvl = numpr.find(f"{_W}ilvl")
            return (
                num.get(f"{_W}val") if num is not None else None,
                int(lvl.get(f"{_W}val", "0")) if lvl is not None else 0,
            )
    return None, 0


def _heading_level(paragraph: Any) -> int | None:
    """1-based heading level from a Heading/标题 style or an outline level; 1 for the Title style."""
    for style in _style_chain(paragraph):
        name = (style.name or "").strip()
        if name.lower() in ("title", "标题"):
            return 1
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
    for ppr in [paragraph._p.pPr] + [s.element.pPr for s in _style_chain(paragraph)]:
        ol = ppr.find(f"{_W}outlineLvl") if ppr is not None else None
        if ol is not None and int(ol.get(f"{_W}val", "9")) < 9:
            return int(ol.get(f"{_W}val")) + 1
    return None


def _docx_paragraph(paragraph: Any, numbering: _WordNumbering) -> str:
    style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
    if style.startswith(("toc", "目录")):  # a table of contents repeats the headings
        return ""
    label = numbering.label(paragraph)
    # Soft line breaks inside a paragraph end a line only after a sentence stop.
    pieces = [clean_line(p, join_cjk=False) for p in paragraph.text.split("\n")]
    text = ""
    for piece in pieces:
        if not piece:
            continue
        text += ("\n" if text and text[-1] in _SENT_FINAL else "") + piece
    if not text:
        return ""
    if label and not text.startswith(label.strip()):
        text = label.strip() + text
    level = _heading_level(paragraph)
    return heading_line(text, level) if level is not None else text


def _docx_blocks(container: Any, numbering: _WordNumbering, out: list[str]) -> None:
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        cells.append(cell)
                if len(cells) == 1:  # a layout table holding body text: its paragraphs are lines
                    _docx_blocks(cells[0], numbering, out)
                    continue
                texts = [clean_line(" ".join(p.text for p in c.paragraphs), join_cjk=False) for c in cells]
                if any(texts):
                    out.append(CELL_SEP.join(t for t in texts if t))
        else:
            line = _docx_paragraph(block, numbering)
            if line:
                out.append(line)


def docx_to_text(data: bytes, name: str) -> Converted:
    """A Word file's body in order: paragraphs as lines with their automatic numbering written out, Heading
    styles as heading lines, tables one line per row with cells joined by ｜. Headers and footers are left out."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        numbering = _WordNumbering(document)
        lines: list[str] = []
        _docx_blocks(document, numbering, lines)
    except Exception as exc:  # a damaged or foreign file can fail anywhere inside python-docx or lxml
        raise IngestError(
            f"{name}: not a readable Word .docx file ({type(exc).__name__}: {exc}); "
            "open and save it again in Word or WPS (an old .doc must be saved as .docx)."
        ) from exc
    text = "\n".join(lines)
    if not text.strip():
        raise IngestError(f"{name}: the Word file has no text.")
    return text + "\n", None


# --- PDF --------------------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－·•\s]*\d{1,4}[-—–－·•\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+"
    r"|[Pp]age\s*\d+(?:\s*of\s*\d+)?)$"
)


def _width(s: str) -> int:
    """Display width in half-width cells; ambiguous characters (“ ” … —) are full-width in Chinese type."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in s)


def _pdf_page_lines(page_text: str) -> list[tuple[str, bool]]:
    """(line, indented) for a page's non-empty lines, page numbers at its top and bottom left out."""
    lines = [
        (clean_line(raw, join_cjk=True), raw[:1] in (" ", "\t", "\u3000", "\xa0")) for raw in page_text.split("\n")
    ]
    lines = [(s, indented) for s, indented in lines if s]
    for pos in (0, 0, -1, -1):  # up to two page-number lines at each end
        if lines and _PAGE_NUMBER.match(lines[pos][0]):
            lines.pop(pos)
    return lines


def _drop_running_lines(pages: list[list[tuple[str, bool]]]) -> None:
    """Running headers and footers: a first or last line repeated on most pages of a longer document."""
    if len(pages) < 3:
        return
    for pos in (0, -1):
        counts: dict[str, int] = {}
        for lines in pages:
            if lines:
                counts[lines[pos][0]] = counts.get(lines[pos][0], 0) + 1
        for line, n in counts.items():
            if n >= max(3, len(pages) // 2):
                for lines in pages:
                    if lines and lines[pos][0] == line:
                        lines.pop(pos)


_TITLE_END = re.compile(r"(报告|总结|情况|通报|公告|要点|计划|方案|纲要|意见|说明|汇报)$")


def _join_title(lines: list[tuple[str, bool]]) -> None:
    """A title set in large type wraps onto two or three short lines: put it back on one line."""
    for n in (3, 2):
        head = [s for s, _ in lines[:n]]
        if (
            len(head) == n
            and _TITLE_END.search("".join(head))
            and not any(_TITLE_END.search("".join(head[:k])) for k in range(1, n))
            and not any(s[-1] in _SENT_FINAL or _NUMBERED.match(s) for s in head)
            and len("".join(head)) <= 60
        ):
            lines[:n] = [("".join(head), False)]
            return


def _body_width(widths: list[int]) -> int:
    """The width of a full line of body text: the commonest width among the longer lines (0 if none).

    Justified body lines all end at the right margin, so they share one width within a character or two;
    headings, last lines of paragraphs and over-long table rows do not.
    """
    bins = Counter(w // 2 for w in widths if w >= 40)
    if not bins:
        return 0
    return 2 * max(bins, key=lambda b: (bins[b], b)) + 1


def _continues(prev: str, cur: str, indented: bool, full: int) -> bool:
    """Whether `cur` continues the paragraph of the visual line `prev` (wrapped at the right margin)."""
    return (
        full >= 40
        and full - 6 <= _width(prev) <= full + 4
        and prev[-1] not in _SENT_FINAL
        and not indented
        and not _NUMBERED.match(cur)
    )


def pdf_to_text(data: bytes, name: str) -> Converted:
    """The text layer of a PDF, page by page, with wrapped lines joined back into paragraphs (also across a
    page break) and page numbers and running headers dropped. Returns the text and each page's start offset.
    A PDF with no text layer (a scan) is rejected: it needs OCR first."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{name}: the PDF is password-protected; save an unprotected copy.")
        page_texts = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise IngestError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc}).") from exc
    pages = [_pdf_page_lines(t) for t in page_texts]
    _drop_running_lines(pages)
    if pages:
        _join_title(pages[0])
    body = "".join(s for lines in pages for s, _ in lines)
    if sum(1 for ch in body if ch.isalpha()) < 20:
        raise IngestError(
            f"{name}: the PDF has no text layer (a scanned document?); OCR is needed: run it through an OCR "
            "tool (for example ocrmypdf -l chi_sim) and ingest the result."
        )
    bad = sum(1 for ch in body if unicodedata.category(ch) in ("Cc", "Co", "Cs") or ch == "\ufffd")
    if bad > 0.05 * len(body):
        raise IngestError(f"{name}: the PDF's text layer is unreadable (fonts without a Unicode map); OCR is needed.")
    full = _body_width([_width(s) for lines in pages for s, _ in lines])
    out: list[str] = []
    page_starts: list[int] = []
    size = 0
    prev = ""
    for lines in pages:
        for k, (line, indented) in enumerate(lines):
            if prev and _continues(prev, line, indented, full):
                sep = " " if prev[-1].isascii() and prev[-1].isalnum() and line[0].isascii() else ""
            else:
                sep = "\n" if out else ""
            out.append(sep)
            size += len(sep)
            if k == 0:
                page_starts.append(size)
            out.append(line)
            size += len(line)
            prev = line
        if not lines:
            page_starts.append(size + (1 if out else 0))
    return "".join(out) + "\n", page_starts
