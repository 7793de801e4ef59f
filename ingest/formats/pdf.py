"""PDFs (pypdf): the text layer, wrapped lines joined into paragraphs, page numbers and running lines dropped."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

from bot.errors import IngestError
from ingest.formats.lines import NUMBERED, SENT_FINAL, Converted, clean_line

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
            and not any(s[-1] in SENT_FINAL or NUMBERED.match(s) for s in head)
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
        and prev[-1] not in SENT_FINAL
        and not indented
        and not NUMBERED.match(cur)
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
