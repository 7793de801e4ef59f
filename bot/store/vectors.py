"""The vector store: the only module that talks to Chroma (embedded, or a `chroma run` server).

Callers see `VectorStore`: chunk ids, similarities and vectors as numpy arrays. Chroma's clients, collections
and records never leave this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import IndexCorrupted, IndexNotFound
from bot.settings import Settings
from bot.types import Chunk

log = logging.getLogger(__name__)

BATCH = 2000
"""Records per Chroma call when adding or deleting (its own limit is a few thousand)."""


class VectorStore(Protocol):
    """Chunk vectors with their report, searchable by cosine similarity."""

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def count(self) -> int: ...
    def ids(self, report_ids: Sequence[str] | None = None) -> list[str]: ...
    def query(
        self, vector: Sequence[float], k: int, report_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]: ...
    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]: ...


def _where(report_ids: Sequence[str] | None) -> dict[str, Any] | None:
    if not report_ids:
        return None
    return {"report_id": {"$in": list(report_ids)}} if len(report_ids) > 1 else {"report_id": report_ids[0]}


class ChromaVectors:
    """A `VectorStore` over one Chroma collection (cosine space, no embedding function: we embed)."""

    def __init__(self, collection: Any):
        self._coll = collection

    @classmethod
    def open(cls, settings: Settings, gen_path: Path, name: str, *, create: bool) -> ChromaVectors:
        """The collection `name` of a generation (embedded: in gen_path/chroma), created when `create`."""
        return cls(open_collection(settings, gen_path, name, create=create))

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(chunks), BATCH):
            part = chunks[i : i + BATCH]
            self._coll.add(
                ids=[c.id for c in part],
                embeddings=[list(v) for v in vectors[i : i + BATCH]],
                metadatas=[
                    {
                        "report_id": c.report_id,
                        "source": c.source,
                        "section": " > ".join(c.section_path),
                        "start": c.start,
                        "end": c.end,
                    }
                    for c in part
                ],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), BATCH):
            self._coll.delete(ids=list(ids[i : i + BATCH]))

    def count(self) -> int:
        return int(self._coll.count())

    def ids(self, report_ids: Sequence[str] | None = None) -> list[str]:
        return list(self._coll.get(where=_where(report_ids), include=[])["ids"])

    def rename(self, name: str) -> None:
        self._coll.modify(name=name)

    def query(
        self, vector: Sequence[float], k: int, report_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, optionally within some reports."""
        res = self._coll.query(
            query_embeddings=[list(vector)], n_results=k, where=_where(report_ids), include=["distances"]
        )
        ids = res["ids"][0]
        dists = res["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True)]

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of those of `ids` the store holds, as (their ids, a float32 matrix)."""
        got = self._coll.get(ids=list(ids), include=["embeddings"])
        found = list(got["ids"])
        if not found:
            return [], np.empty((0, 0), dtype=np.float32)
        return found, np.asarray(got["embeddings"], dtype=np.float32)


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


def drop_collection(settings: Settings, name: str) -> None:
    """Delete a collection from the Chroma server; one that is not there is no error."""
    try:
        chroma_client(settings, None).delete_collection(name)
    except Exception:
        log.debug("collection %s was not there to drop", name)


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
