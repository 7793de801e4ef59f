"""Converting HTML pages, Word files and PDFs into the plain text that ingest parses and citations point into.

Each converter returns ``(text, page_starts)``: one paragraph per line, headings on their own lines with their
official numbering (一、（一）1.) kept, and, for a PDF, the offset where each page begins in that text. The
converted text *is* the report's text from then on: offsets, quotes and the passage API all refer to it.
Headings that carry no official numbering are written as Markdown headings (``## 工作概况``), the one mark
the parser reads as an unnumbered heading.

The converters live one format a module: `webpage` (HTML), `word` (.docx), `pdf`; `lines` holds what they
share. The names below are the package's public face (`ingest.load` imports them from here).
"""

from ingest.formats.pdf import pdf_to_text
from ingest.formats.webpage import html_charset, html_to_text
from ingest.formats.word import docx_to_text

__all__ = ["docx_to_text", "html_charset", "html_to_text", "pdf_to_text"]
