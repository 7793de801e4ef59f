"""Reading the index: the active generation (bot.store.layout) loaded into memory, reloaded when CURRENT
changes (another worker re-ingested). Vectors stay in the vector store (bot.store.vectors)."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import IndexCorrupted, IndexNotFound
from bot.settings import Settings
from bot.store.layout import CHUNKS, FORMAT_VERSION, REPORTS, Manifest, read_current, read_manifest
from bot.store.termindex import NgramIndex
from bot.store.vectors import ChromaVectors, VectorStore
from bot.types import Chunk, Citation, IngestRecord, ReportMeta, SectionRecord

log = logging.getLogger(__name__)


@dataclass
class ReportRecord:
    meta: ReportMeta
    sections: list[SectionRecord]
    text: str

    def cite(self, start: int, end: int, section: list[str]) -> Citation:
        """A citation of text[start:end]: the quote is always the file's own text, with its page if paginated."""
        return Citation(
            report_id=self.meta.report_id,
            source=self.meta.source,
            title=self.meta.title,
            section=list(section),
            quote=self.text[start:end],
            start=start,
            end=end,
            page=self.meta.page_of(start),
        )


@dataclass
class IndexData:
    """Everything a reader needs from one generation, loaded into memory (chunks, reports, BM25)."""

    generation: str
    path: Path
    manifest: Manifest
    reports: dict[str, ReportRecord]
    chunks: list[Chunk]
    bm25: Any
    vectors: VectorStore | None
    ngrams: NgramIndex | None = None
    chunk_index: dict[str, int] = field(default_factory=dict)
    report_chunks: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.chunk_index = {c.id: i for i, c in enumerate(self.chunks)}
        by_report: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            by_report.setdefault(c.report_id, []).append(i)
        self.report_chunks = {k: np.asarray(v, dtype=np.int64) for k, v in by_report.items()}


def load_generation(index_dir: Path, settings: Settings, with_dense: bool = True) -> IndexData:
    """Load the active generation. Raises IndexNotFound / IndexCorrupted with what to do."""
    gen = read_current(index_dir)
    if gen is None:
        raise IndexNotFound(f"no index in {index_dir}: run `python -m ingest` (or `make run`) to build one.")
    path = index_dir / gen
    try:
        manifest = read_manifest(path)
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexCorrupted(
                f"index {path} has format {manifest.get('format')}, expected {FORMAT_VERSION}: "
                "run `python -m ingest --rebuild`."
            )
        raw_reports: list[IngestRecord] = json.loads((path / REPORTS).read_text(encoding="utf-8"))
        reports = {
            r["meta"]["report_id"]: ReportRecord(ReportMeta(**r["meta"]), r["sections"], r["text"]) for r in raw_reports
        }
        with open(path / CHUNKS, encoding="utf-8") as f:
            chunks = [Chunk.from_json(json.loads(line)) for line in f if line.strip()]
        if len(chunks) != manifest.get("n_chunks"):
            raise IndexCorrupted(
                f"index {path}: {len(chunks)} chunks on disk, manifest says {manifest.get('n_chunks')}; "
                "run `python -m ingest --rebuild`."
            )
        bm25 = None
        if chunks:
            import bm25s

            bm25 = bm25s.BM25.load(str(path / "bm25"))
        # generations written before the postings existed have none: the answerer builds them in memory
        ngrams = NgramIndex.load(path / "ngrams") if (path / "ngrams").is_dir() else None
    except (IndexCorrupted, IndexNotFound):
        raise
    except FileNotFoundError as exc:
        raise IndexCorrupted(
            f"index {path} is missing {Path(exc.filename or '?').name}: run `python -m ingest --rebuild`."
        ) from exc
    except Exception as exc:
        raise IndexCorrupted(
            f"index {path} cannot be read ({type(exc).__name__}: {exc}): run `python -m ingest --rebuild`."
        ) from exc
    vectors = None
    if with_dense and chunks and manifest.get("dense", True):
        vectors = ChromaVectors.open(settings, path, manifest["collection"], create=False)
    return IndexData(gen, path, manifest, reports, chunks, bm25, vectors, ngrams)


class IndexHandle:
    """A reader's view of the index that reloads when CURRENT changes (another worker re-ingested)."""

    def __init__(self, index_dir: Path, settings: Settings, with_dense: bool = True):
        self.index_dir = index_dir
        self.settings = settings
        self.with_dense = with_dense
        self._data: IndexData | None = None
        self._lock = threading.Lock()

    def get(self) -> IndexData:
        gen = read_current(self.index_dir)
        data = self._data
        if data is not None and gen == data.generation:
            return data
        with self._lock:
            if self._data is None or self._data.generation != read_current(self.index_dir):
                self._data = load_generation(self.index_dir, self.settings, self.with_dense)
                log.info("loaded index generation %s (%d chunks)", self._data.generation, len(self._data.chunks))
            return self._data
