"""Faults: a killed ingest, damaged or deleted index files, and recovery with `python -m ingest --rebuild`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.embed import HashEmbedder, make_embedder
from bot.errors import EmbeddingError, IndexCorrupted, IndexNotFound
from bot.pipeline import ReportQA
from bot.server.app import create_app
from bot.settings import Settings
from bot.store import IndexHandle
from bot.store.layout import read_current
from bot.store.reader import load_generation
from ingest.index import ingest
from tests.conftest import NEUTRAL_DIR, NEUTRAL_FACT, NEUTRAL_NAMES, NEUTRAL_Q, NEUTRAL_SOURCE, REPO, build_neutral
from tests.fake_openai import HOLD_LIMIT, ScriptedOpenAI, serve

Q = NEUTRAL_Q


def _env(settings: Settings) -> dict[str, str]:
    """The environment of a `python -m ingest` process with these settings' index, cache and embedder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_INDEX_DIR": str(settings.index_dir), "REPORTQA_CACHE_DIR": str(settings.cache_dir)})
    env.update({"REPORTQA_EMBEDDING_BASE_URL": str(settings.embedding_base_url), "PYTHONPATH": str(REPO)})
    env["REPORTQA_EMBEDDING_MODEL"] = settings.embedding_model
    return env


def _generations(index: Path) -> set[str]:
    return {p.name for p in index.iterdir() if p.name.startswith("gen-")}


def test_kill_9_during_an_ingest_leaves_the_old_index_and_the_next_ingest_completes(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(NEUTRAL_DIR, reports)
    index = tmp_path / "index"
    ingest_cmd = [sys.executable, "-m", "ingest", str(reports), "-q"]
    # the ingests embed through the scripted endpoint, which can hold its reply: the second ingest is then
    # known to be half-way (its generation written up to the vectors) when it is killed
    server = ScriptedOpenAI()
    with serve(server.app) as url:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            index_dir=index,
            cache_dir=tmp_path / "cache",
            embedding_base_url=url + "/v1",
            embedding_model="scripted",
        )
        ingest([reports], settings, make_embedder(settings))  # the good index (in this process: quicker)
        good = read_current(index)
        assert good
        with open(reports / NEUTRAL_SOURCE, "a", encoding="utf-8") as f:
            f.write("\n四、补充说明\n\n本局2022年新增调解员12名。\n")
        server.embed_asked.clear()
        server.embed_hold = threading.Event()
        proc = subprocess.Popen(
            ingest_cmd, env=_env(settings), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            assert server.embed_asked.wait(HOLD_LIMIT), "the ingest never asked for the new chunks' vectors"
            assert proc.poll() is None and len(_generations(index)) == 2  # waiting for them, half-written
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            server.embed_hold.set()
        # the previous generation is still the current one, and it answers
        assert read_current(index) == good
        bm25 = settings.model_copy(update={"use_dense": False})
        assert NEUTRAL_FACT in ReportQA(IndexHandle(index, bm25, with_dense=False), None).ask(Q).answer
        # the next ingest completes, switches, and sweeps the half-written generation away
        server.embed_hold = None
        ingest([reports], settings, make_embedder(settings))
    assert read_current(index) != good
    assert len(_generations(index)) <= 2
    added = ReportQA(IndexHandle(index, bm25, with_dense=False), None).ask("红塔区人社局2022年新增调解员多少名？")
    assert "12名" in added.answer


@pytest.fixture
def built(tmp_path: Path) -> Settings:
    return build_neutral(tmp_path)


@pytest.mark.parametrize(
    "damage", ["truncate_chunks", "delete_bm25", "delete_manifest", "garble_reports", "delete_chroma"]
)
def test_damaged_index_gives_a_clear_error_and_rebuild_recovers(built: Settings, damage: str) -> None:
    gen = built.index_dir / str(read_current(built.index_dir))
    if damage == "truncate_chunks":
        lines = (gen / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
        (gen / "chunks.jsonl").write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    elif damage == "delete_bm25":
        shutil.rmtree(gen / "bm25")
    elif damage == "delete_manifest":
        (gen / "manifest.json").unlink()
    elif damage == "garble_reports":
        (gen / "reports.json").write_bytes(b"\x00\x01garbage")
    elif damage == "delete_chroma":
        shutil.rmtree(gen / "chroma")
    app = create_app(built, qa=ReportQA(IndexHandle(built.index_dir, built), HashEmbedder()))
    client = TestClient(app)
    if damage == "delete_chroma":
        # the vector store is gone: answers keep coming from BM25, and readiness says what is degraded
        assert NEUTRAL_FACT in client.post("/api/chat", json={"question": Q}).json()["answer"]
        ready = client.get("/readyz").json()
        # the open store may still serve from memory; when it fails, readiness goes false and says why
        assert ready["ready"] is ("degraded" not in ready)
        assert "degraded" not in ready or "unavailable" in ready["degraded"]
        ingest([NEUTRAL_DIR], built, HashEmbedder(), rebuild=True)
        assert (
            "degraded"
            not in TestClient(create_app(built, qa=ReportQA(IndexHandle(built.index_dir, built), HashEmbedder())))
            .get("/readyz")
            .json()
        )
        return
    with pytest.raises((IndexCorrupted, IndexNotFound)) as err:
        load_generation(built.index_dir, built)
    assert "--rebuild" in str(err.value) or "python -m ingest" in str(err.value)
    # the API says so instead of crashing
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False
    r = client.post("/api/chat", json={"question": Q})
    assert r.status_code == 503 and r.json()["error"]["code"] in ("index_corrupted", "index_not_found")
    # rebuild recovers
    ingest([NEUTRAL_DIR], built, HashEmbedder(), rebuild=True)
    assert NEUTRAL_FACT in ReportQA(IndexHandle(built.index_dir, built), HashEmbedder()).ask(Q).answer


def test_plain_reingest_over_a_damaged_index_rebuilds_instead_of_crashing(built: Settings) -> None:
    gen = built.index_dir / str(read_current(built.index_dir))
    (gen / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
    summary = ingest([NEUTRAL_DIR], built, HashEmbedder())
    assert summary.parsed == len(NEUTRAL_NAMES) and not summary.unchanged
    assert load_generation(built.index_dir, built).chunks


def test_deleted_index_folder_is_index_not_found(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, index_dir=tmp_path / "nothing")  # type: ignore[call-arg]
    with pytest.raises(IndexNotFound, match="python -m ingest"):
        load_generation(settings.index_dir, settings)


class FailingQueryEmbedder(HashEmbedder):
    """An embedder whose endpoint is down for queries (as an unreachable embedding or vector server)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def embed_query(self, text: str) -> list[float]:
        if self.down:
            raise EmbeddingError("embedding endpoint http://127.0.0.1:9/v1 failed: connection refused")
        return super().embed_query(text)


def test_vector_side_down_keeps_answering_from_bm25_readiness_false_then_recovers(built: Settings) -> None:
    emb = FailingQueryEmbedder()
    client = TestClient(create_app(built, qa=ReportQA(IndexHandle(built.index_dir, built), emb)))
    r = client.post("/api/chat", json={"question": Q})
    assert r.status_code == 200 and NEUTRAL_FACT in r.json()["answer"]
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert "connection refused" in ready.json()["degraded"]
    emb.down = False  # the server is back
    assert NEUTRAL_FACT in client.post("/api/chat", json={"question": Q}).json()["answer"]
    assert client.get("/readyz").json() == {**client.get("/readyz").json(), "ready": True}
    assert client.get("/readyz").status_code == 200


def test_chroma_clients_opened_while_others_are_dropped_never_fail(built: Settings) -> None:
    """Chroma's per-process registry of stores is unlocked: opening a store while another thread drops the
    registry (as a retry does) raised KeyError, and the request got a 500."""
    import json
    import threading

    from bot.store.vectors import forget_clients, open_collection

    path = built.index_dir / str(read_current(built.index_dir))
    name = json.loads((path / "manifest.json").read_text(encoding="utf-8"))["collection"]
    errors: list[str] = []

    def opener() -> None:
        for _ in range(30):
            try:
                open_collection(built, path, name, create=False).count()
            except Exception as exc:
                errors.append(repr(exc))

    def dropper() -> None:
        for _ in range(60):
            forget_clients()

    threads = [threading.Thread(target=opener) for _ in range(6)] + [threading.Thread(target=dropper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
