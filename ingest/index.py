"""Building the index: parse what changed, reuse what did not, write a new generation, then switch.
The generation's files are written by bot.store.writer; this module decides what goes in them.

Unchanged files (same content hash, same settings) are not parsed again and their vectors come from the
embedding cache, so a re-ingest of an unchanged corpus does no work at all.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.embed import CachedEmbedder, Embedder
from bot.errors import IngestError
from bot.settings import Settings
from bot.store.layout import CHUNKS, REPORTS, Manifest, read_current, read_manifest, write_current
from bot.store.vectors import collection_name, drop_collection
from bot.store.writer import TOKENS_DIR, Reused, collect_garbage, intact, load_tokens, vector_base, write_generation
from bot.text.analysis import ANALYZER_VERSION
from bot.text.injection import flagged_spans
from bot.types import Chunk, IngestRecord
from ingest.chunk import chunk_report
from ingest.load import find_report_sources, load_report, source_name
from ingest.overrides import apply_overrides, load_overrides
from ingest.parse import parse_text

log = logging.getLogger(__name__)

PARSER_VERSION = 1


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


def code_version() -> str:
    """A hash of the code that shapes the index: a new parser re-parses (vectors still come from cache)."""
    import hashlib

    import bot.store.termindex
    import bot.text.analysis
    import bot.text.areas
    import bot.text.divisions
    import bot.text.gazetteer
    import bot.text.orgs
    import bot.text.places
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
        bot.text.places,
        bot.text.divisions,
        bot.text.gazetteer,
        bot.text.areas,
        bot.text.orgs,
        bot.text.analysis,
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


def _parse(raw: Any, over: dict[str, Any], chunk_tokens: int) -> tuple[IngestRecord, list[Chunk]]:
    report = parse_text(raw)
    apply_overrides(report, over)
    record = IngestRecord(meta=report.meta.model_dump(), sections=report.section_dicts(), text=raw.text)
    return record, chunk_report(report, chunk_tokens)


_Planned = tuple[str, Path, Path | None, Any]
"""(source, file, root, (raw, overrides) to parse, or None when unchanged)."""


@dataclass
class _Previous:
    """What the previous generation leaves to take over: its reports, chunks and BM25 tokens, by source."""

    reports: dict[str, IngestRecord] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)


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
        plan, file_state = _plan(sources, prev_files, overrides, summary, progress)
        changed = any(todo is not None for *_, todo in plan) or set(file_state) != set(prev_files)
        if not changed and reusable and prev_gen and prev_manifest and intact(index_dir, prev_gen, prev_manifest):
            _up_to_date(summary, prev_gen, prev_manifest, len(plan))
            summary.seconds = time.perf_counter() - t0
            return summary

        # 2. Something changed, or a file of the previous generation is damaged (then a new generation is
        # written even for unchanged reports, which repairs it): take over what did not change.
        old = _Previous()
        if reusable and prev_gen:
            old, reusable = _take_over(index_dir, prev_gen)
        records, chunks, reused = _gather(plan, old, overrides, settings.chunk_tokens, file_state, summary)
        del old
        summary.removed = len(set(prev_files) - set(file_state))
        _check_unique_ids(records)
        summary.reports = len(records)
        summary.sections = sum(len(r["sections"]) for r in records)
        summary.chunks = len(chunks)
        summary.flagged = _flag_addressed(chunks)

        # 3. The new generation is written, then made current.
        gen = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        summary.generation = gen
        with _embedding_cache(embedder, settings, summary) as cached, _discarded_on_failure(index_dir, gen, settings):
            if reusable and reused.ids:
                reused.vectors = vector_base(index_dir, settings, prev_gen, prev_manifest)
            summary.tokenised = write_generation(
                index_dir, gen, settings, records, chunks, cached, key, file_state, progress, reused
            )
        write_current(index_dir, gen)
        collect_garbage(index_dir, settings, keep={gen, prev_gen})
    summary.seconds = time.perf_counter() - t0
    return summary


def _plan(
    sources: list[tuple[Path, Path | None]],
    prev_files: dict[str, Any],
    overrides: dict[str, dict[str, Any]],
    summary: IngestSummary,
    progress: bool,
) -> tuple[list[_Planned], dict[str, Any]]:
    """(each source and what to parse of it, each source's hash and overrides for the manifest). A file that
    cannot be read now keeps its last good version; a second file of the same source name is rejected."""
    plan: list[_Planned] = []
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
    return plan, file_state


def _up_to_date(summary: IngestSummary, prev_gen: str, prev_manifest: Manifest, planned: int) -> None:
    """The summary of an ingest with nothing to do: the previous generation's counts."""
    summary.unchanged = True
    summary.generation = prev_gen
    summary.reused = planned
    summary.reports = int(prev_manifest.get("n_reports", planned))
    summary.sections = int(prev_manifest.get("n_sections", 0))
    summary.chunks = int(prev_manifest.get("n_chunks", 0))
    summary.flagged = int(prev_manifest.get("n_flagged", 0))


def _take_over(index_dir: Path, prev_gen: str) -> tuple[_Previous, bool]:
    """(the previous generation's reports, chunks and tokens, whether it can be reused); a damaged one gives
    nothing and everything is rebuilt from the files."""
    try:
        reports, chunks = _old_records(index_dir, prev_gen)
        in_order = [c for cs in chunks.values() for c in cs]
        tokens = load_tokens(index_dir / prev_gen / TOKENS_DIR, in_order)
    except (OSError, ValueError, KeyError) as exc:  # a damaged index: rebuild everything from the files
        log.warning("previous index %s is damaged (%s); rebuilding from scratch", prev_gen, exc)
        return _Previous(), False
    return _Previous(reports, chunks, tokens), True


def _gather(
    plan: list[_Planned],
    old: _Previous,
    overrides: dict[str, dict[str, Any]],
    chunk_tokens: int,
    file_state: dict[str, Any],
    summary: IngestSummary,
) -> tuple[list[IngestRecord], list[Chunk], Reused]:
    """The new generation's records and chunks: the previous generation's for an unchanged source, parsed
    anew for the others (and what was taken over, so it is not computed again)."""
    records: list[IngestRecord] = []
    chunks: list[Chunk] = []
    reused = Reused()
    for source, f, root, todo in plan:
        if todo is None and source in old.reports:
            records.append(old.reports[source])
            for c in old.chunks.get(source, []):
                chunks.append(c)
                reused.ids.add(c.id)
                if c.id in old.tokens:
                    reused.tokens[c.id] = old.tokens[c.id]
            summary.reused += 1
            continue
        if todo is None:  # unchanged, but the previous generation could not be read: parse it again
            try:
                todo = (load_report(f, root), overrides.get(source, {}))
            except IngestError:
                file_state.pop(source, None)  # unreadable now, and its last good version is lost
                continue
        raw, over = todo
        record, report_chunks = _parse(raw, over, chunk_tokens)
        records.append(record)
        chunks.extend(report_chunks)
        summary.parsed += 1
    return records, chunks, reused


@contextmanager
def _embedding_cache(embedder: Embedder | None, settings: Settings, summary: IngestSummary) -> Iterator[Any]:
    """The embedder behind the vector cache (None for a BM25-only index); closed after, with the number of
    vectors it had to compute in the summary."""
    cached = CachedEmbedder(embedder, settings.cache_dir) if embedder else None
    try:
        yield cached
    finally:
        if cached:
            summary.embedded = cached.misses
            cached.close()


@contextmanager
def _discarded_on_failure(index_dir: Path, gen: str, settings: Settings) -> Iterator[None]:
    """A generation whose writing fails (or is interrupted) is removed, its server collection too."""
    try:
        yield
    except BaseException:
        shutil.rmtree(index_dir / gen, ignore_errors=True)
        if settings.chroma_host:
            drop_collection(settings, collection_name(settings, gen))
        raise


def _check_unique_ids(records: list[IngestRecord]) -> None:
    seen: dict[str, str] = {}
    for r in records:
        rid, src = r["meta"]["report_id"], r["meta"]["source"]
        if rid in seen:
            raise IngestError(f"{src} and {seen[rid]} map to the same report id {rid!r}; rename one.")
        seen[rid] = src
