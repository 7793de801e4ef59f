"""The store boundary: the on-disk index (layout), reading it (reader), building it (writer), the vector store
(vectors, the only code that talks to Chroma) and the term postings (termindex).

A reader needs only the names below; Chroma records never leave this package.
"""

from bot.store.reader import IndexData, IndexHandle, ReportRecord

__all__ = ["IndexData", "IndexHandle", "ReportRecord"]
