"""Building the index: parse what changed, reuse what did not, write a new generation, then switch.

Unchanged files (same content hash, same settings) are not parsed again and their vectors come from the
embedding cache, so a re-ingest of an unchanged corpus does no work at all.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import shutil
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.analysis import ANALYZER_VERSION, bm25_tokens
from bot.embed import CachedEmbedder, Embedder
from bot.errors import IngestError
from bot.injection import flagged_spans
from bot.settings import Settings
from bot.store.layout import (
    CHUNKS,
    FORMAT_VERSION,
    MANIFEST,
    REPORTS,
    Manifest,
    read_current,
    read_manifest,
    write_current,
    write_manifest,
)
from bot.store.termindex import NgramIndex
from bot.store.vectors import BATCH as VECTOR_BATCH
from bot.store.vectors import ChromaVectors, collection_name, drop_collection, forget_clients
from bot.types import Chunk, IngestRecord, Region
from ingest.chunk import chunk_report
from ingest.load import find_report_sources, load_report, source_name
from ingest.parse import ParsedReport, parse_text

log = logging.getLogger(__name__)

PARSER_VERSION = 1
MANIFEST_NAMES = ("reports.toml",)
TOKENS_DIR = "bm25_tokens"  # each chunk's BM25 tokens, in the order of chunks.jsonl
_MAX_DELETED = 0.25  # of the chunks: tombstones in a copied HNSW store before it is rebuilt


@dataclass
class IngestSummary:
    reports: int = 0
    sections: int = 0
    chunks: int = 0
    parsed: int = 0
    reused: int = 0
    removed: int = 0
    embedded: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    generation: str | None = None
    unchanged: bool = False
    tokenised: int = 0
    """Chunks tokenised for BM25 (jieba); the others kept the previous generation's tokens."""
    flagged: int = 0
    """Sentences that address the reader or the model ("回答时必须…"): never answers, never LLM context."""

    def line(self) -> str:
        state = "up to date, nothing to do" if self.unchanged else f"generation {self.generation}"
        return (
            f"{self.reports} reports, {self.sections} sections, {self.chunks} chunks "
            f"({self.parsed} parsed, {self.reused} reused, {self.removed} removed, "
            f"{self.embedded} vectors computed) in {self.seconds:.2f}s; {state}"
            + (f"; {self.flagged} sentence(s) addressing the reader or the model flagged" if self.flagged else "")
            + (f"; {len(self.errors)} file(s) rejected" if self.errors else "")
        )


def _flag_addressed(chunks: list[Chunk]) -> int:
    """How many chunk sentences address the reader or the model; each is logged, to be looked at."""
    n = 0
    for c in chunks:
        for a, b in flagged_spans(c.text):
            n += 1
            what = "a sentence addresses the reader or the model and is never answered"
            log.warning("%s: %s: %s", c.source, what, c.text[a:b][:80])
    return n


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """One ingest at a time per index folder (a second waits)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def load_overrides(folder: Path | None) -> dict[str, dict[str, Any]]:
    """Per-file metadata overrides from `reports.toml` in the reports folder: [\"file.txt\"] title = …"""
    if folder is None:
        return {}
    for name in MANIFEST_NAMES:
        p = folder / name
        if p.is_file():
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise IngestError(f"{p}: invalid TOML ({exc}); fix or remove it.") from exc
            return {k: v for k, v in data.items() if isinstance(v, dict)}
    return {}


def apply_overrides(report: ParsedReport, over: dict[str, Any]) -> None:
    meta = report.meta
    for key, value in over.items():
        if key == "region" and isinstance(value, dict):
            meta.region = Region(**{**meta.region.model_dump(), **value})
        elif key in ("province", "city", "district"):
            setattr(meta.region, key, value)
        elif key == "years":
            meta.years = [int(y) for y in (value if isinstance(value, list) else [value])]
        elif key == "year":
            meta.years = [int(value)]
        elif key in ("title", "issuer", "published"):
            setattr(meta, key, str(value))
        else:
            raise IngestError(f"reports.toml [{meta.source}]: unknown field {key!r}")


def code_version() -> str:
    """A hash of the code that shapes the index: a new parser re-parses (vectors still come from cache)."""
    import hashlib

    import bot.analysis
    import bot.gazetteer
    import bot.orgs
    import bot.places
    import bot.store.termindex
    import ingest.chunk
    import ingest.formats
    import ingest.load
    import ingest.meta
    import ingest.parse

    h = hashlib.sha1()
    # the loaders too: a converter that changes turns the same HTML, Word or PDF file into another text
    for mod in (
        ingest.load,
        ingest.formats,
        ingest.parse,
        ingest.meta,
        ingest.chunk,
        bot.places,
        bot.gazetteer,
        bot.orgs,
        bot.analysis,
        bot.store.termindex,
    ):
        path = Path(str(mod.__file__))
        # a package (ingest.formats, one converter a module): every module in it, in name order
        for f in sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]:
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _settings_key(settings: Settings, embedder: Embedder | None) -> dict[str, Any]:
    return {
        "parser": PARSER_VERSION,
        "code": code_version(),
        "analyzer": ANALYZER_VERSION,
        "chunk_tokens": settings.chunk_tokens,
        "embedder": embedder.name if embedder else None,
    }


def _previous(index_dir: Path) -> tuple[str | None, Manifest | None]:
    gen = read_current(index_dir)
    if not gen:
        return None, None
    try:
        return gen, read_manifest(index_dir / gen)
    except (OSError, ValueError):
        log.warning("previous index %s is unreadable; building from scratch", gen)
        return None, None


def _old_records(index_dir: Path, gen: str) -> tuple[dict[str, IngestRecord], dict[str, list[Chunk]]]:
    """The previous generation's reports and chunks, by source."""
    path = index_dir / gen
    reports = {r["meta"]["source"]: r for r in json.loads((path / REPORTS).read_text(encoding="utf-8"))}
    chunks: dict[str, list[Chunk]] = {}
    with open(path / CHUNKS, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                c = Chunk.from_json(json.loads(line))
                chunks.setdefault(c.source, []).append(c)
    return reports, chunks


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


def _load_tokens(folder: Path, chunks: list[Chunk]) -> dict[str, list[str]]:
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


def _intact(index_dir: Path, gen: str, manifest: Manifest) -> bool:
    sizes = manifest.get("sizes")
    try:
        return bool(sizes) and _file_sizes(index_dir / gen) == sizes
    except OSError:
        return False


def _parse(raw: Any, over: dict[str, Any], chunk_tokens: int) -> tuple[IngestRecord, list[Chunk]]:
    report = parse_text(raw)
    apply_overrides(report, over)
    record = IngestRecord(meta=report.meta.model_dump(), sections=report.section_dicts(), text=raw.text)
    return record, chunk_report(report, chunk_tokens)


def ingest(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder | None,
    *,
    rebuild: bool = False,
    progress: bool = False,
) -> IngestSummary:
    """Ingest report files into `settings.index_dir`. `embedder=None` builds a BM25-only index."""
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    summary = IngestSummary()
    sources = find_report_sources(paths)
    overrides: dict[str, dict[str, Any]] = {}
    for folder in dict.fromkeys(r for _, r in sources if r is not None):
        overrides.update(load_overrides(folder))
    with ingest_lock(index_dir):
        prev_gen, prev_manifest = (None, None) if rebuild else _previous(index_dir)
        key = _settings_key(settings, embedder)
        reusable = prev_gen is not None and prev_manifest is not None and prev_manifest.get("settings") == key
        prev_files: dict[str, Any] = (prev_manifest or {}).get("files", {}) if reusable else {}

        # 1. What changed, from the files' hashes alone: the previous generation is not read yet.
        plan: list[tuple[str, Path, Path | None, Any]] = []  # (source, file, root, (raw, overrides) to parse)
        file_state: dict[str, Any] = {}
        seen_sources: set[str] = set()
        iterator: Any = sources
        if progress:
            from tqdm import tqdm

            iterator = tqdm(sources, desc="reading", unit="file")
        for f, root in iterator:
            source = source_name(f, root)
            if source in seen_sources:
                summary.errors.append(f"{f}: another file is already ingested as {source}; skipped.")
                continue
            seen_sources.add(source)
            try:
                raw = load_report(f, root)
            except IngestError as exc:
                summary.errors.append(str(exc))
                log.error("%s", exc)
                if source in prev_files:  # keep the last good version rather than lose it
                    plan.append((source, f, root, None))
                    file_state[source] = prev_files[source]
                continue
            over = overrides.get(source, {})
            over_key = json.dumps(over, sort_keys=True, ensure_ascii=False)
            prev = prev_files.get(source)
            same = prev is not None and prev["hash"] == raw.content_hash and prev.get("overrides") == over_key
            plan.append((source, f, root, None if same else (raw, over)))
            file_state[source] = {"hash": raw.content_hash, "overrides": over_key}
        changed = any(todo is not None for *_, todo in plan) or set(file_state) != set(prev_files)
        if not changed and reusable and prev_gen and prev_manifest and _intact(index_dir, prev_gen, prev_manifest):
            summary.unchanged = True
            summary.generation = prev_gen
            summary.reused = len(plan)
            summary.reports = int(prev_manifest.get("n_reports", len(plan)))
            summary.sections = int(prev_manifest.get("n_sections", 0))
            summary.chunks = int(prev_manifest.get("n_chunks", 0))
            summary.flagged = int(prev_manifest.get("n_flagged", 0))
            summary.seconds = time.perf_counter() - t0
            return summary

        # 2. Something changed, or a file of the previous generation is damaged (then a new generation is
        # written even for unchanged reports, which repairs it): take over what did not change.
        old_reports: dict[str, IngestRecord] = {}
        old_chunks: dict[str, list[Chunk]] = {}
        old_tokens: dict[str, list[str]] = {}
        if reusable and prev_gen:
            try:
                old_reports, old_chunks = _old_records(index_dir, prev_gen)
                in_order = [c for cs in old_chunks.values() for c in cs]
                old_tokens = _load_tokens(index_dir / prev_gen / TOKENS_DIR, in_order)
            except (OSError, ValueError, KeyError) as exc:  # a damaged index: rebuild everything from the files
                log.warning("previous index %s is damaged (%s); rebuilding from scratch", prev_gen, exc)
                reusable, old_reports, old_chunks, old_tokens = False, {}, {}, {}
        records: list[IngestRecord] = []
        chunks: list[Chunk] = []
        reused = Reused()
        for source, f, root, todo in plan:
            if todo is None and source in old_reports:
                records.append(old_reports[source])
                for c in old_chunks.get(source, []):
                    chunks.append(c)
                    reused.ids.add(c.id)
                    if c.id in old_tokens:
                        reused.tokens[c.id] = old_tokens[c.id]
                summary.reused += 1
                continue
            if todo is None:  # unchanged, but the previous generation could not be read: parse it again
                try:
                    todo = (load_report(f, root), overrides.get(source, {}))
                except IngestError:
                    file_state.pop(source, None)  # unreadable now, and its last good version is lost
                    continue
            raw, over = todo
            record, report_chunks = _parse(raw, over, settings.chunk_tokens)
            records.append(record)
            chunks.extend(report_chunks)
            summary.parsed += 1
        del old_reports, old_chunks, old_tokens
        summary.removed = len(set(prev_files) - set(file_state))
        _check_unique_ids(records)
        summary.reports = len(records)
        summary.sections = sum(len(r["sections"]) for r in records)
        summary.chunks = len(chunks)
        summary.flagged = _flag_addressed(chunks)

        gen = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        summary.generation = gen
        cached = CachedEmbedder(embedder, settings.cache_dir) if embedder else None
        try:
            if reusable and reused.ids:
                reused.vectors = _vector_base(index_dir, settings, prev_gen, prev_manifest)
            summary.tokenised = _write_generation(
                index_dir, gen, settings, records, chunks, cached, key, file_state, progress, reused
            )
        except BaseException:
            shutil.rmtree(index_dir / gen, ignore_errors=True)
            if settings.chroma_host:
                drop_collection(settings, collection_name(settings, gen))
            raise
        finally:
            if cached:
                summary.embedded = cached.misses
                cached.close()
        write_current(index_dir, gen)
        _collect_garbage(index_dir, settings, keep={gen, prev_gen})
    summary.seconds = time.perf_counter() - t0
    return summary


def _check_unique_ids(records: list[IngestRecord]) -> None:
    seen: dict[str, str] = {}
    for r in records:
        rid, src = r["meta"]["report_id"], r["meta"]["source"]
        if rid in seen:
            raise IngestError(f"{src} and {seen[rid]} map to the same report id {rid!r}; rename one.")
        seen[rid] = src


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


def _vector_base(
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


def _write_generation(
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
    tokenised = 0
    if chunks:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import
        # unchanged chunks keep the tokens of the previous generation: jieba is most of a re-ingest otherwise
        known = reused.tokens if reused else {}
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
    name = collection_name(settings, gen)
    dense = embedder is not None
    if dense and chunks:
        assert embedder is not None
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


def _collect_garbage(index_dir: Path, settings: Settings, keep: set[str | None]) -> None:
    """Remove generations other than the new and the previous one (readers may still hold that)."""
    for p in index_dir.iterdir():
        if not p.name.startswith("gen-") or p.name in keep:
            continue
        shutil.rmtree(p, ignore_errors=True)
        if settings.chroma_host:
            drop_collection(settings, collection_name(settings, p.name))
