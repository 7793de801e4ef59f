"""Where a generation lives on disk, and its manifest: the one place that names the files and writes and reads
manifest.json and CURRENT.

    index_dir/
      CURRENT              name of the active generation
      gen-<stamp>/         manifest.json, reports.json, chunks.jsonl, bm25/, bm25_tokens/, ngrams/,
                           chroma/ (embedded mode)

Ingest builds a new generation aside and only then rewrites CURRENT (write + fsync + os.replace), so a crash
half-way leaves the previous generation in use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TypedDict

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
REPORTS = "reports.json"
CHUNKS = "chunks.jsonl"


class Manifest(TypedDict, total=False):
    """What manifest.json records about a generation (written last: a generation without one is unfinished)."""

    format: int
    generation: str
    created: str
    settings: dict[str, Any]
    """What shaped the index (parser, code, analyzer, chunking, embedder): another key means a re-parse."""
    dense: bool
    dim: int | None
    collection: str
    chroma: str
    """"embedded" (the store is the generation's chroma/ folder) or "server"."""
    dense_deleted: int
    """Vectors deleted from a store copied from generation to generation."""
    n_reports: int
    n_sections: int
    n_chunks: int
    n_flagged: int
    files: dict[str, Any]
    sizes: dict[str, int]
    """The sizes of the generation's own files (not Chroma's): a cheap damage check."""


def read_manifest(gen_path: Path) -> Manifest:
    """The generation's manifest; OSError or ValueError when it is missing or damaged."""
    manifest: Manifest = json.loads((gen_path / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def write_manifest(gen_path: Path, manifest: Manifest) -> None:
    (gen_path / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


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
