"""ingest.index: generations switched via CURRENT, incremental re-ingest, failures that keep the old index."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import SAMPLE_NAMES, SAMPLES_DIR

from bot.embed import HashEmbedder
from bot.errors import EmbeddingError
from bot.settings import Settings
from bot.store import IndexData, IndexHandle
from bot.store.layout import read_current
from bot.store.reader import load_generation
from bot.types import Chunk
from ingest.index import IngestSummary, ingest

MakeSettings = Callable[..., Settings]
CHANGED = "003_a5f592639eb2b6b4.txt"
CHANGED_FROM = "一是强化法治建设统筹协调力度"
CHANGED_TO = "一是全面强化法治建设统筹协调力度"


class RecordingHashEmbedder(HashEmbedder):
    """A HashEmbedder that records every text it actually embeds (i.e. that missed the cache)."""

    def __init__(self, dim: int = 256, fail_after: int | None = None):
        super().__init__(dim, fail_after)
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vecs = super().embed_documents(texts)
        self.embedded.extend(texts)
        return vecs


def _generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.name.startswith("gen-")}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _embedded_text(c: Chunk) -> str:
    """What ingest hands the embedder for a chunk: its contextual header, then its text."""
    return f"{c.header}\n{c.text}"


def _assert_consistent(data: IndexData) -> None:
    """Every stored chunk quotes its stored report text exactly."""
    for c in data.chunks:
        assert data.reports[c.report_id].text[c.start : c.end] == c.quote


def test_ingest_writes_a_generation_that_loads_and_answers_dense_queries(
    reports_dir: Path, make_settings: MakeSettings
) -> None:
    settings = make_settings()
    summary = ingest([reports_dir], settings, HashEmbedder())
    assert (summary.reports, summary.parsed, summary.reused, summary.removed) == (5, 5, 0, 0)
    assert summary.errors == []
    assert summary.embedded == summary.chunks > 0
    assert read_current(settings.index_dir) == summary.generation

    data = load_generation(settings.index_dir, settings)
    assert data.generation == summary.generation
    assert sorted(r.meta.source for r in data.reports.values()) == SAMPLE_NAMES
    assert len(data.chunks) == summary.chunks
    assert sum(len(r.sections) for r in data.reports.values()) == summary.sections
    _assert_consistent(data)
    assert data.vectors is not None and data.vectors.count() == summary.chunks
    target = next(c for c in data.chunks if "局领导积极践行" in c.text)
    hits = data.vectors.query(HashEmbedder().embed_query(_embedded_text(target)), 3)
    assert hits[0][0] == target.id


def test_bm25_only_ingest_has_no_vector_collection(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    summary = ingest([reports_dir], settings, None)
    assert summary.embedded == 0
    data = load_generation(settings.index_dir, settings)
    assert data.manifest["dense"] is False
    assert data.vectors is None
    assert data.bm25 is not None and len(data.chunks) == summary.chunks


def test_reingest_of_unchanged_files_does_nothing(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    embedder = RecordingHashEmbedder()
    first = ingest([reports_dir], settings, embedder)
    n_embedded = len(embedder.embedded)
    assert n_embedded == first.chunks
    for f in reports_dir.iterdir():  # a new mtime is not a change
        os.utime(f, (1_700_000_000, 1_700_000_000))

    second = ingest([reports_dir], settings, embedder)
    assert second.unchanged is True
    assert second.embedded == 0
    assert (second.parsed, second.reused, second.removed) == (0, 5, 0)
    assert second.generation == first.generation
    assert read_current(settings.index_dir) == first.generation
    assert _generations(settings.index_dir) == {first.generation}
    assert len(embedder.embedded) == n_embedded
    assert "up to date" in second.line()


def test_changed_file_is_the_only_one_parsed_and_its_new_text_the_only_one_embedded(
    reports_dir: Path, make_settings: MakeSettings
) -> None:
    settings = make_settings()
    embedder = RecordingHashEmbedder()
    first = ingest([reports_dir], settings, embedder)
    old = load_generation(settings.index_dir, settings)
    old_texts = {_embedded_text(c) for c in old.chunks}
    embedded_before = len(embedder.embedded)

    _edit(reports_dir / CHANGED, CHANGED_FROM, CHANGED_TO)
    second = ingest([reports_dir], settings, embedder)
    assert second.unchanged is False
    assert (second.parsed, second.reused, second.removed) == (1, 4, 0)
    assert second.generation != first.generation
    assert read_current(settings.index_dir) == second.generation

    new = load_generation(settings.index_dir, settings)
    changed_chunks = [c for c in new.chunks if c.source == CHANGED]
    newly_embedded = embedder.embedded[embedded_before:]
    expected_new = [c for c in new.chunks if _embedded_text(c) not in old_texts]
    # Only text that did not exist before is embedded, and all of it belongs to the edited report.
    assert 0 < len(newly_embedded) <= len(changed_chunks)
    assert len(newly_embedded) == len(expected_new) == second.embedded
    assert set(newly_embedded) <= {_embedded_text(c) for c in changed_chunks}
    assert any(CHANGED_TO in t for t in newly_embedded)
    # Unchanged reports keep their chunks as they were; all chunks still have vectors.
    old_ids = {c.id for c in old.chunks if c.source != CHANGED}
    assert {c.id for c in new.chunks if c.source != CHANGED} == old_ids
    assert new.vectors is not None and new.vectors.count() == len(new.chunks)
    _assert_consistent(new)


def test_removed_file_removes_its_report(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    ingest([reports_dir], settings, HashEmbedder())
    (reports_dir / "002_6fae348653edd2e7.txt").unlink()
    summary = ingest([reports_dir], settings, HashEmbedder())
    assert (summary.reports, summary.parsed, summary.reused, summary.removed) == (4, 0, 4, 1)
    assert summary.embedded == 0
    data = load_generation(settings.index_dir, settings)
    assert "002_6fae348653edd2e7" not in data.reports
    assert not any(c.source == "002_6fae348653edd2e7.txt" for c in data.chunks)
    assert data.vectors is not None and data.vectors.count() == len(data.chunks)
    assert data.vectors.ids(["002_6fae348653edd2e7"]) == []


def test_interrupted_ingest_leaves_the_old_index_queryable(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    first = ingest([reports_dir], settings, HashEmbedder())
    before = load_generation(settings.index_dir, settings)
    handle = IndexHandle(settings.index_dir, settings)
    assert handle.get().generation == first.generation

    _edit(reports_dir / CHANGED, CHANGED_FROM, CHANGED_TO)
    fresh_cache = make_settings(cache="cache-empty")  # nothing cached: the embedder must be called
    with pytest.raises(EmbeddingError):
        ingest([reports_dir], fresh_cache, HashEmbedder(fail_after=0))

    assert read_current(settings.index_dir) == first.generation
    assert _generations(settings.index_dir) == {first.generation}  # no half-written generation left
    after = load_generation(settings.index_dir, settings)
    assert after.generation == first.generation
    assert [c.to_json() for c in after.chunks] == [c.to_json() for c in before.chunks]
    assert not any(CHANGED_TO in c.text for c in after.chunks)
    assert handle.get().generation == first.generation
    some = after.chunks[10]
    assert after.vectors is not None
    assert after.vectors.query(HashEmbedder().embed_query(_embedded_text(some)), 1)[0][0] == some.id

    retry = ingest([reports_dir], fresh_cache, HashEmbedder())
    assert retry.generation != first.generation
    assert (retry.parsed, retry.reused) == (1, 4)
    assert read_current(settings.index_dir) == retry.generation
    reloaded = handle.get()
    assert reloaded.generation == retry.generation
    assert any(CHANGED_TO in c.text for c in reloaded.chunks)


def test_folder_with_empty_and_binary_files_still_ingests_the_good_one(
    tmp_path: Path, make_settings: MakeSettings
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_bytes((SAMPLES_DIR / "001_db59ff4b70f4e062.txt").read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 200)
    settings = make_settings()
    summary = ingest([folder], settings, None)
    assert summary.reports == 1
    assert len(summary.errors) == 2
    assert sum("empty.txt" in e for e in summary.errors) == 1
    assert sum("broken.txt" in e for e in summary.errors) == 1
    assert "2 file(s) rejected" in summary.line()
    data = load_generation(settings.index_dir, settings)
    assert list(data.reports) == ["good"]
    assert data.chunks and all(c.source == "good.txt" for c in data.chunks)


def test_file_that_turns_unreadable_keeps_its_last_good_version(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    first = ingest([reports_dir], settings, None)
    (reports_dir / CHANGED).write_bytes(b"")
    second = ingest([reports_dir], settings, None)
    assert second.reports == 5
    assert len(second.errors) == 1 and CHANGED in second.errors[0]
    data = load_generation(settings.index_dir, settings)
    assert CHANGED.removesuffix(".txt") in data.reports
    assert sum(c.source == CHANGED for c in data.chunks) > 0
    assert second.chunks == first.chunks


def test_rebuild_parses_every_file_again(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    first = ingest([reports_dir], settings, None)
    again = ingest([reports_dir], settings, None, rebuild=True)
    assert again.unchanged is False
    assert (again.parsed, again.reused) == (5, 0)
    assert again.generation != first.generation
    assert read_current(settings.index_dir) == again.generation


def test_changed_chunk_budget_reparses_every_file(reports_dir: Path, make_settings: MakeSettings) -> None:
    first = ingest([reports_dir], make_settings(chunk_tokens=300), None)
    smaller = ingest([reports_dir], make_settings(chunk_tokens=60), None)
    assert (smaller.parsed, smaller.reused) == (5, 0)
    assert smaller.chunks > first.chunks
    settings = make_settings(chunk_tokens=60)
    assert all(c.n_tokens <= 60 for c in load_generation(settings.index_dir, settings).chunks)


def test_only_the_current_and_previous_generations_are_kept(reports_dir: Path, make_settings: MakeSettings) -> None:
    settings = make_settings()
    gens = []
    for i in range(3):
        (reports_dir / CHANGED).write_text(
            (reports_dir / CHANGED).read_text(encoding="utf-8") + f"\n附件{i}。\n", encoding="utf-8"
        )
        summary: IngestSummary = ingest([reports_dir], settings, None)
        gens.append(summary.generation)
    assert len(set(gens)) == 3
    assert _generations(settings.index_dir) == {gens[1], gens[2]}
    assert read_current(settings.index_dir) == gens[2]


def test_ingest_of_two_folders_indexes_the_reports_of_both(tmp_path: Path, make_settings: MakeSettings) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copyfile(SAMPLES_DIR / SAMPLE_NAMES[0], a / SAMPLE_NAMES[0])
    shutil.copyfile(SAMPLES_DIR / SAMPLE_NAMES[1], b / SAMPLE_NAMES[1])
    summary = ingest([a, b], make_settings(), None)
    assert summary.reports == 2


def test_reingest_tokenises_only_the_changed_report_and_ranks_like_a_rebuild(
    reports_dir: Path, make_settings: MakeSettings
) -> None:
    from bot.retrieve.hybrid import HybridRetriever

    settings = make_settings()
    first = ingest([reports_dir], settings, None)
    assert first.tokenised == first.chunks
    _edit(reports_dir / CHANGED, CHANGED_FROM, CHANGED_TO)
    again = ingest([reports_dir], settings, None)
    data = load_generation(settings.index_dir, settings)
    changed = [c for c in data.chunks if c.source == CHANGED]
    assert changed and again.tokenised == len(changed) < again.chunks

    rebuilt = make_settings(index_dir=settings.index_dir.with_name("rebuilt"))
    ingest([reports_dir], rebuilt, None)
    fresh = load_generation(rebuilt.index_dir, rebuilt)
    incremental = HybridRetriever(IndexHandle(settings.index_dir, settings, with_dense=False), None)
    scratch = HybridRetriever(IndexHandle(rebuilt.index_dir, rebuilt, with_dense=False), None)
    for question in ("行政复议案件数量", "统筹协调力度", "普法宣传活动", "招聘会"):
        a = [(data.chunks[i].id, round(s, 4)) for i, s in incremental.bm25_ranking(data, question, None)]
        b = [(fresh.chunks[i].id, round(s, 4)) for i, s in scratch.bm25_ranking(fresh, question, None)]
        assert a and a == b


def test_unchanged_reingest_reads_nothing_of_the_previous_generation(
    reports_dir: Path, make_settings: MakeSettings
) -> None:
    settings = make_settings()
    first = ingest([reports_dir], settings, None)
    # the previous generation's records, scribbled over at the same size: the cheap damage check (file sizes)
    # passes, and reading them would fail, which would rebuild the index
    gen = settings.index_dir / str(first.generation)
    for name in ("reports.json", "chunks.jsonl"):
        (gen / name).write_bytes(b"\x00" * (gen / name).stat().st_size)
    again = ingest([reports_dir], settings, None)
    assert again.unchanged and again.generation == first.generation
    assert (again.reports, again.sections, again.chunks) == (first.reports, first.sections, first.chunks)


@pytest.mark.parametrize("damage", ["bm25_tokens/ids.npy", "ngrams/docs2.npy", "bm25/params.index.json"])
def test_plain_reingest_repairs_a_damaged_file_of_the_current_generation(
    reports_dir: Path, make_settings: MakeSettings, damage: str
) -> None:
    from bot.retrieve.hybrid import HybridRetriever

    settings = make_settings()
    first = ingest([reports_dir], settings, None)
    target = settings.index_dir / str(first.generation) / damage
    assert target.is_file()
    target.write_bytes(b"\x00garbage")
    repaired = ingest([reports_dir], settings, None)
    assert not repaired.unchanged and repaired.generation != first.generation
    assert repaired.reused == 5 and repaired.parsed == 0
    data = load_generation(settings.index_dir, settings)
    assert data.ngrams is not None and data.ngrams.df("行政复议") > 0
    hits = HybridRetriever(IndexHandle(settings.index_dir, settings, with_dense=False), None).bm25_ranking(
        data, "行政复议案件", None
    )
    assert hits and "行政复议" in data.chunks[hits[0][0]].text
    assert ingest([reports_dir], settings, None).unchanged


class _AddSpy:
    """Counts the vectors inserted into any Chroma collection."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        from chromadb.api.models.Collection import Collection

        self.added = 0
        real = Collection.add

        def add(coll: Collection, *args: object, **kwargs: object) -> None:
            ids = kwargs.get("ids", args[0] if args else [])
            self.added += len(ids)  # type: ignore[arg-type]
            real(coll, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Collection, "add", add)


def _dense_ids(data: IndexData, vector: list[float], k: int = 8) -> list[str]:
    return [i for i, _ in data.vectors.query(vector, k)]


def test_embedded_reingest_copies_the_vector_store_and_inserts_only_the_changed_chunks(
    reports_dir: Path, make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    embedder = HashEmbedder()
    ingest([reports_dir], settings, embedder)
    old = load_generation(settings.index_dir, settings)
    old_changed = {c.id for c in old.chunks if c.source == CHANGED}
    spy = _AddSpy(monkeypatch)

    _edit(reports_dir / CHANGED, CHANGED_FROM, CHANGED_TO)
    ingest([reports_dir], settings, embedder)
    new = load_generation(settings.index_dir, settings)
    new_changed = {c.id for c in new.chunks if c.source == CHANGED}
    assert spy.added == len(new_changed) < len(new.chunks)
    assert new.manifest["dense_deleted"] == len(old_changed)
    stored = set(new.vectors.ids())
    assert stored == {c.id for c in new.chunks}
    # the previous generation's store is untouched, for readers still holding it
    assert set(old.vectors.ids()) == {c.id for c in old.chunks}

    # the same nearest chunks as a store built from scratch
    fresh = make_settings(index_dir=settings.index_dir.with_name("fresh"))
    ingest([reports_dir], fresh, embedder)
    scratch = load_generation(fresh.index_dir, fresh)
    for q in ("统筹协调力度", "行政复议案件", "普法宣传", "招聘会"):
        v = embedder.embed_query(q)
        assert _dense_ids(new, v) == _dense_ids(scratch, v)


def test_a_damaged_previous_vector_store_is_rebuilt_from_the_cache(
    reports_dir: Path, make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    embedder = RecordingHashEmbedder()
    first = ingest([reports_dir], settings, embedder)
    for f in (settings.index_dir / str(first.generation) / "chroma").rglob("*.sqlite3"):
        f.write_bytes(b"not a database")
    spy = _AddSpy(monkeypatch)
    _edit(reports_dir / CHANGED, CHANGED_FROM, CHANGED_TO)
    second = ingest([reports_dir], settings, embedder)
    data = load_generation(settings.index_dir, settings)
    assert spy.added == second.chunks == len(data.chunks)
    assert data.manifest["dense_deleted"] == 0
    assert set(data.vectors.ids()) == {c.id for c in data.chunks}


def test_a_store_with_many_deletions_is_built_afresh(
    reports_dir: Path, make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    first = ingest([reports_dir], settings, HashEmbedder())
    by_source = Counter(c.source for c in load_generation(settings.index_dir, settings).chunks)
    kept = min(by_source, key=by_source.__getitem__)  # the others hold at least 4/5 of the vectors
    for name in set(by_source) - {kept}:
        (reports_dir / name).unlink()
    spy = _AddSpy(monkeypatch)
    second = ingest([reports_dir], settings, HashEmbedder())
    assert second.chunks == by_source[kept] < first.chunks
    assert spy.added == second.chunks  # every vector inserted into a new store, none deleted from a copy
    assert load_generation(settings.index_dir, settings).manifest["dense_deleted"] == 0
