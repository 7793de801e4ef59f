"""Reading report files: plain text decoded (UTF-8, GB18030/GBK), HTML, Word and PDF converted to text
(`ingest.formats`), and rejection of unusable files with an error naming the file."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from bot.errors import IngestError
from ingest.formats import docx_to_text, html_charset, html_to_text, pdf_to_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
DOCUMENT_CONVERTERS = {".docx": docx_to_text, ".pdf": pdf_to_text}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | set(DOCUMENT_CONVERTERS)
MAX_BYTES = 50_000_000


@dataclass(frozen=True)
class RawReport:
    """A report's text. Offsets everywhere refer to this `text`: a text file's decoded content (BOM removed),
    or the text converted from an HTML page, a Word file or a PDF.

    `encoding` is the text encoding, or the format ("docx", "pdf") of a converted binary document;
    `page_starts` the offset where each page begins, for a PDF.
    """

    path: Path
    source: str
    text: str
    encoding: str
    content_hash: str
    page_starts: tuple[int, ...] | None = None


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode report bytes: UTF-8 (BOM or not), then GB18030/GBK, then what the detector says."""
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise IngestError(f"{name}: the file is empty; nothing to ingest.")
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}: looks binary (NUL bytes), not a text report; convert it to .txt or .md.")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Chinese government files that are not UTF-8 are nearly always GBK/GB18030 (a superset of GBK).
    try:
        text = data.decode("gb18030")
        if _looks_like_text(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: cannot detect the text encoding; save it as UTF-8.")
    text = str(best)
    if not _looks_like_text(text):
        raise IngestError(f"{name}: decodes only to garbage ({best.encoding}); save it as UTF-8.")
    return text, best.encoding


def decode_html(data: bytes, name: str) -> tuple[str, str]:
    """Decode a page: a UTF-16 BOM, then UTF-8, then the charset it declares, then as a text file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    declared = html_charset(data)
    if declared and declared not in ("utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return data.decode(declared), declared
            except (UnicodeDecodeError, LookupError):
                log.info("%s: declared charset %s does not fit; detecting", name, declared)
    return decode_bytes(data, name)


# control characters other than \t \n \f \r, and the replacement character of a failed decode
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _looks_like_text(text: str) -> bool:
    if not text.strip():
        return False
    bad = sum(1 for _ in _NOT_TEXT.finditer(text))
    return bad / max(len(text), 1) < 0.01


def source_name(path: Path, root: Path | None) -> str:
    """A report's name: its path below the folder it was found in, else its file name."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def load_report(path: Path, root: Path | None = None) -> RawReport:
    """Read one report file. Raises `IngestError` naming the file when it cannot be used."""
    source = source_name(path, root)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"{source}: unsupported file type {path.suffix!r}; use .txt, .md, .html, .docx or .pdf.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{source}: cannot read the file ({exc.strerror}).") from exc
    if len(data) > MAX_BYTES:
        raise IngestError(f"{source}: {len(data)} bytes is larger than the {MAX_BYTES} byte limit.")
    page_starts: list[int] | None = None
    if suffix in DOCUMENT_CONVERTERS:
        if not data:
            raise IngestError(f"{source}: the file is empty; nothing to ingest.")
        encoding = suffix[1:]
        text, page_starts = DOCUMENT_CONVERTERS[suffix](data, source)
    elif suffix in HTML_SUFFIXES:
        html, encoding = decode_html(data, source)
        text, page_starts = html_to_text(html, source)
    else:
        text, encoding = decode_bytes(data, source)
    if not _looks_like_text(text):
        raise IngestError(f"{source}: looks binary, not a text report.")
    return RawReport(
        path=path,
        source=source,
        text=text,
        encoding=encoding,
        content_hash=hashlib.sha256(data).hexdigest(),
        page_starts=tuple(page_starts) if page_starts is not None else None,
    )


def find_report_sources(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """Each report file with the folder it was found in (None for a file named directly)."""
    out: list[tuple[Path, Path | None]] = []
    for p in paths:
        if p.is_dir():
            files, _ = find_report_files([p])
            out.extend((f, p) for f in files)
        elif p.is_file():
            out.append((p, None))
        else:
            raise IngestError(f"{p}: no such file or folder.")
    return out


def find_report_files(paths: list[Path]) -> tuple[list[Path], Path | None]:
    """Expand folders into their report files (sorted). Returns the files and the common root folder."""
    files: list[Path] = []
    root: Path | None = None
    for p in paths:
        if p.is_dir():
            root = root or p
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith("."):
                    if f.name.lower() in {"readme.md"}:
                        continue
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            raise IngestError(f"{p}: no such file or folder.")
    return files, root
