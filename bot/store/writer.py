"""Writing a generation of the index (bot.store.layout): chunks, reports, the BM25 index and each chunk's BM25
tokens, the character-pair postings, the vectors (through bot.store.vectors) and, last, the manifest. Also
what a new generation takes over from the previous one (tokens, the embedded vector store), the damage check
on a generation's files, and removing old generations.

ingest decides what to write (what changed, parsing, the CURRENT switch); this module is how it is written.
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.embed import CachedEmbedder
from bot.errors import IngestError
from bot.settings import Settings
from bot.store.layout import CHUNKS, FORMAT_VERSION, MANIFEST, REPORTS, Manifest, write_manifest
from bot.store.termindex import NgramIndex
from bot.store.vectors import BATCH as VECTOR_BATCH
from bot.store.vectors import ChromaVectors, collection_name, drop_collection, forget_clients
from bot.text.analysis import bm25_tokens
from bot.text.injection import flagged_spans
from bot.types import Chunk, IngestRecord

log = logging.getLogger(__name__)

TOKENS_DIR = "bm25_tokens"  # each chunk's BM25 tokens, in the order of chunks.jsonl
_MAX_DELETED = 0.25  # of the chunks: tombstones in a copied HNSW store before it is rebuilt


def _token_ids(tokens: list[list[str]]) -> tuple[dict[str, int], list[list[int]]]:
    """A vocabulary in order of first use, and each chunk's tokens as ids into it (what bm25s indexes)."""
    vocab = {t: i for i, t in enumerate(dict.fromkeys(itertools.chain.from_iterable(tokens)))}
    return vocab, [list(map(vocab.__getitem__, toks)) for toks in tokens]


def _save_tokens(folder: Path, vocab: dict[str, int], ids: list[list[int]]) -> None:
    """Each chunk's BM25 tokens, in chunk order, as ids into the vocabulary (a third of the size of JSON)."""
    folder.mkdir()
    total = sum(len(t) for t in ids)
    np.save(folder / "ids.npy", np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int32, count=total))
    np.save(folder / "offsets.npy", np.cumsum([0] + [len(t) for t in ids], dtype=np.int64))
    (folder / "vocab.json").write_text(json.dumps(list(vocab), ensure_ascii=False), encoding="utf-8")


def load_tokens(folder: Path, chunks: list[Chunk]) -> dict[str, list[str]]:
    """The saved tokens of `chunks` (the generation's chunks, in order), by chunk id; {} when unusable."""
    try:
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        ids = np.load(folder / "ids.npy")
        offsets = np.load(folder / "offsets.npy")
        if offsets.size != len(chunks) + 1 or int(offsets[-1]) != ids.size:
            raise ValueError(f"{offsets.size - 1} token lists for {len(chunks)} chunks")
        bounds = offsets.tolist()
        return {c.id: [vocab[t] for t in ids[bounds[i] : bounds[i + 1]].tolist()] for i, c in enumerate(chunks)}
    except (OSError, ValueError, IndexError) as exc:  # absent before tokens were kept, or damaged: tokenise
        log.info("previous BM25 tokens not reusable (%s); tokenising every chunk", exc)
        return {}


def _file_sizes(gen_path: Path) -> dict[str, int]:
    """Sizes of the generation's own files (not Chroma's, which its clients may touch): a cheap damage check."""
    return {
        str(f.relative_to(gen_path)): f.stat().st_size
        for f in sorted(gen_path.rglob("*"))
        if f.is_file() and f.name != MANIFEST and f.relative_to(gen_path).parts[0] != "chroma"
    }


def intact(index_dir: Path, gen: str, manifest: Manifest) -> bool:
    sizes = manifest.get("sizes")
    try:
        return bool(sizes) and _file_sizes(index_dir / gen) == sizes
    except OSError:
        return False


@dataclass
class VectorBase:
    """The previous generation's embedded vector store, which a new generation may start from."""

    path: Path
    collection: str
    deleted: int


@dataclass
class Reused:
    """What a new generation takes over from the previous one for the chunks of unchanged reports."""

    ids: set[str] = field(default_factory=set)
    tokens: dict[str, list[str]] = field(default_factory=dict)  # BM25 tokens by chunk id
    vectors: VectorBase | None = None  # the embedded vector store to start from


def vector_base(
    index_dir: Path, settings: Settings, prev_gen: str | None, prev_manifest: Manifest | None
) -> VectorBase | None:
    if settings.chroma_host or not prev_gen or not prev_manifest or not prev_manifest.get("dense"):
        return None
    path = index_dir / prev_gen / "chroma"
    if prev_manifest.get("chroma") != "embedded" or not path.is_dir() or not prev_manifest.get("collection"):
        return None
    return VectorBase(path, str(prev_manifest["collection"]), int(prev_manifest.get("dense_deleted", 0)))


def _copy_vectors(
    base: VectorBase, settings: Settings, tmp: Path, name: str, reused_ids: set[str]
) -> tuple[ChromaVectors, set[str], int] | None:
    """Embedded Chroma: start the new generation's store from a copy of the previous one, renamed, less the
    chunks that changed, so that only new chunks are inserted. Re-inserting every vector was most of a
    one-file re-ingest (17 s of 31 s at 1,000 reports: HNSW inserts). The previous store is only read (the
    ingest lock keeps other writers out); deletions leave tombstones in the HNSW graph, so once they add up
    to a quarter of the store it is built afresh. Returns (collection, chunk ids already in it,
    deletions so far), or None to build from scratch.
    """
    target = tmp / "chroma"
    try:
        shutil.copytree(base.path, target)
        coll = ChromaVectors.open(settings, tmp, base.collection, create=False)
        coll.rename(name)
        present = set(coll.ids())
        stale = sorted(present - reused_ids)
        deleted = base.deleted + len(stale)
        if deleted > _MAX_DELETED * max(len(present), 1):
            raise IngestError(f"{deleted} vectors deleted since the store was built; building it afresh")
        coll.delete(stale)
        return coll, present & reused_ids, deleted
    except Exception as exc:  # anything odd about the copy: the store is rebuilt from the vector cache
        log.info("not starting from the previous vector store (%s: %s)", type(exc).__name__, exc)
        forget_clients()
        shutil.rmtree(target, ignore_errors=True)
        return None


def write_generation(
    index_dir: Path,
    gen: str,
    settings: Settings,
    records: list[IngestRecord],
    chunks: list[Chunk],
    embedder: CachedEmbedder | None,
    key: dict[str, Any],
    file_state: dict[str, Any],
    progress: bool,
    reused: Reused | None = None,
) -> int:
    """Write generation `gen`; returns how many chunks were tokenised. Written in place under a name CURRENT
    does not point to yet; the manifest is written last."""
    tmp = index_dir / gen
    tmp.mkdir(parents=True)
    with open(tmp / CHUNKS, "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
    (tmp / REPORTS).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    tokenised = _write_terms(tmp, chunks, reused) if chunks else 0
    name = collection_name(settings, gen)
    dense = embedder is not None
    deleted = (
        _write_vectors(tmp, settings, name, chunks, embedder, progress, reused)
        if embedder is not None and chunks
        else 0
    )
    manifest: Manifest = {
        "format": FORMAT_VERSION,
        "generation": gen,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": key,
        "dense": dense,
        "dim": embedder.dim if embedder else None,
        "collection": name,
        "chroma": "server" if settings.chroma_host else "embedded",
        # vectors deleted from a store copied from generation to generation (see _copy_vectors)
        "dense_deleted": deleted if dense and chunks else 0,
        "n_reports": len(records),
        "n_sections": sum(len(r["sections"]) for r in records),
        "n_chunks": len(chunks),
        "n_flagged": sum(len(flagged_spans(c.text)) for c in chunks),
        "files": file_state,
        "sizes": _file_sizes(tmp),
    }
    write_manifest(tmp, manifest)
    return tokenised


def _write_terms(tmp: Path, chunks: list[Chunk], reused: Reused | None) -> int:
    """The BM25 index and the character-pair postings of the chunks; returns how many chunks were tokenised
    (unchanged chunks keep the tokens of the previous generation: jieba is most of a re-ingest otherwise)."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import
    known = reused.tokens if reused else {}
    tokenised = 0
    tokens: list[list[str]] = []
    for c in chunks:
        toks = known.get(c.id)
        if not toks:
            toks = bm25_tokens(c.header + "\n" + c.text) or [""]
            tokenised += 1
        tokens.append(toks)
    vocab, ids = _token_ids(tokens)
    del tokens
    _save_tokens(tmp / TOKENS_DIR, vocab, ids)
    retriever = bm25s.BM25()
    retriever.index((ids, vocab), show_progress=False)
    retriever.save(str(tmp / "bm25"))
    NgramIndex.of_chunks(chunks).save(tmp / "ngrams")
    return tokenised


def _write_vectors(
    tmp: Path,
    settings: Settings,
    name: str,
    chunks: list[Chunk],
    embedder: CachedEmbedder,
    progress: bool,
    reused: Reused | None,
) -> int:
    """The chunks' vectors in collection `name`: copied from the previous generation's store where they are
    there, embedded otherwise; returns how many vectors the copied store had deleted."""
    base = reused.vectors if reused else None
    copied = _copy_vectors(base, settings, tmp, name, reused.ids) if base and reused else None
    coll, present, deleted = copied or (ChromaVectors.open(settings, tmp, name, create=True), set(), 0)
    todo = [c for c in chunks if c.id not in present]
    texts = [c.header + "\n" + c.text for c in todo]
    batches = range(0, len(todo), VECTOR_BATCH)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="embedding", unit="batch")
    for i in batches:
        coll.add(todo[i : i + VECTOR_BATCH], embedder.embed_documents(texts[i : i + VECTOR_BATCH]))
    if coll.count() != len(chunks):
        raise IngestError(f"the vector store holds {coll.count()} chunks, expected {len(chunks)}")
    return deleted


def collect_garbage(index_dir: Path, settings: Settings, keep: set[str | None]) -> None:
    """Remove generations other than the new and the previous one (readers may still hold that)."""
    for p in index_dir.iterdir():
        if not p.name.startswith("gen-") or p.name in keep:
            continue
        shutil.rmtree(p, ignore_errors=True)
        if settings.chroma_host:
            drop_collection(settings, collection_name(settings, p.name))
