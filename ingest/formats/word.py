"""Word .docx files (python-docx): paragraphs in order, automatic numbering written out, tables as rows."""

from __future__ import annotations

import io
import re
from typing import Any

from bot.errors import IngestError
from ingest.formats.lines import CELL_SEP, SENT_FINAL, Converted, clean_line, heading_line

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
        text += ("\n" if text and text[-1] in SENT_FINAL else "") + piece
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
