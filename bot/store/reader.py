"""The on-disk index: one *generation* folder per ingest, switched atomically through a CURRENT file.

    index_dir/
      CURRENT              name of the active generation
      gen-<stamp>/         manifest.json, reports.json, chunks.jsonl, bm25/, ngrams/, chroma/ (embedded mode)

Ingest builds a new generation aside and only then rewrites CURRENT (write + fsync + os.replace), so a
crash half-way leaves the previous generation in use. Readers notice a new CURRENT and reload.
Chroma records never leave this module: callers see chunk ids and scores.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import IndexCorrupted, IndexNotFound
from bot.settings import Settings
from bot.store.termindex import NgramIndex
from bot.types import Chunk, Citation, ReportMeta

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"


def chroma_client(settings: Settings, path: Path | None) -> Any:
    """An embedded client at `path`, or a client of the Chroma server the settings name."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cs = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        headers = {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, headers=headers, settings=cs)
    if path is None:
        raise IndexNotFound("embedded Chroma needs a path")
    return chromadb.PersistentClient(path=str(path), settings=cs)


def collection_name(settings: Settings, generation: str) -> str:
    return f"{settings.collection_prefix}-{generation}"[:60]


def read_current(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def write_current(index_dir: Path, generation: str) -> None:
    """Point CURRENT at `generation` atomically (readers see the old or the new name, never half)."""
    tmp = index_dir / f".{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(generation + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / CURRENT)
    dfd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@dataclass
class ReportRecord:
    meta: ReportMeta
    sections: list[dict[str, Any]]
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
    manifest: dict[str, Any]
    reports: dict[str, ReportRecord]
    chunks: list[Chunk]
    bm25: Any
    collection: Any | None
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
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexCorrupted(
                f"index {path} has format {manifest.get('format')}, expected {FORMAT_VERSION}: "
                "run `python -m ingest --rebuild`."
            )
        raw_reports = json.loads((path / "reports.json").read_text(encoding="utf-8"))
        reports = {
            r["meta"]["report_id"]: ReportRecord(ReportMeta(**r["meta"]), r["sections"], r["text"]) for r in raw_reports
        }
        with open(path / "chunks.jsonl", encoding="utf-8") as f:
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
    collection = None
    if with_dense and chunks and manifest.get("dense", True):
        collection = open_collection(settings, path, manifest["collection"], create=False)
    return IndexData(gen, path, manifest, reports, chunks, bm25, collection, ngrams)


# Chroma keeps one shared "system" per store path in a process-wide dict that it does not lock: two threads
# creating a client for the same path at once (the first request and a readiness probe, say) can fail.
_CLIENT_LOCK = threading.Lock()


def _client_with_retry(settings: Settings, path: Path | None, tries: int = 5) -> Any:
    """Open a Chroma client; embedded clients opened by several workers at once can race, so retry."""
    for attempt in range(tries):
        try:
            with _CLIENT_LOCK:
                return chroma_client(settings, path)
        except (ValueError, AttributeError, RuntimeError, KeyError) as exc:
            if attempt == tries - 1:
                raise
            log.info("Chroma client not ready (%s); retrying", exc)
            forget_clients()
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def forget_clients() -> None:
    """Drop Chroma's per-process cache of clients, so that a store's next client opens it afresh."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        with _CLIENT_LOCK:
            SharedSystemClient.clear_system_cache()
    except Exception:  # pragma: no cover - internal API moved
        pass


def open_collection(settings: Settings, gen_path: Path, name: str, create: bool) -> Any:
    client = _client_with_retry(settings, None if settings.chroma_host else gen_path / "chroma")
    try:
        if create:
            return client.create_collection(name=name, embedding_function=None, metadata={"hnsw:space": "cosine"})
        return client.get_collection(name=name, embedding_function=None)
    except Exception as exc:
        where = (
            f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else str(gen_path / "chroma")
        )
        if create:
            raise
        raise IndexCorrupted(
            f"vector collection {name} unavailable in {where} ({type(exc).__name__}): "
            "check the Chroma server or run `python -m ingest --rebuild`."
        ) from exc


def dense_query(
    collection: Any, vector: list[float], k: int, report_ids: list[str] | None = None
) -> list[tuple[str, float]]:
    """(chunk id, cosine similarity) of the k nearest chunks, optionally within some reports."""
    where = None
    if report_ids:
        where = {"report_id": {"$in": list(report_ids)}} if len(report_ids) > 1 else {"report_id": report_ids[0]}
    res = collection.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
    ids = res["ids"][0]
    dists = res["distances"][0]
    return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True)]


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
