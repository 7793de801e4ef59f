"""Faults: a killed ingest, damaged or deleted index files, and recovery with `python -m ingest --rebuild`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.embed import HashEmbedder
from bot.errors import EmbeddingError, IndexCorrupted, IndexNotFound
from bot.pipeline import ReportQA
from bot.server import create_app
from bot.settings import Settings
from bot.store import IndexHandle, load_generation, read_current
from ingest.index import ingest
from tests.conftest import REPO, SAMPLE_NAMES, SAMPLES_DIR

Q = "嘉定区人社局2023年办了多少行政复议和应诉案件？"


def _env(index: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_INDEX_DIR": str(index), "REPORTQA_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)})
    return env


def _generations(index: Path) -> set[str]:
    return {p.name for p in index.iterdir() if p.name.startswith("gen-")}


def test_kill_9_during_an_ingest_leaves_the_old_index_and_the_next_ingest_completes(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in SAMPLE_NAMES:
        shutil.copyfile(SAMPLES_DIR / name, reports / name)
    index = tmp_path / "index"
    # a good index first (the shared embedding cache makes this quick)
    warm = REPO / ".data" / "cache"
    subprocess.run([sys.executable, "-m", "ingest", str(reports), "-q"], env=_env(index, warm), check=True, cwd=REPO)
    good = read_current(index)
    assert good
    # then a change, ingested with an empty cache (tens of seconds of embedding) and killed half-way
    with open(reports / SAMPLE_NAMES[1], "a", encoding="utf-8") as f:
        f.write("\n四、补充说明\n本局2023年新增调解员12名。\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", str(reports), "-q"],
        env=_env(index, tmp_path / "cold-cache"),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(_generations(index)) < 2:  # the new generation is being written
        time.sleep(0.1)
    time.sleep(1.0)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the previous generation is still the current one, and it answers
    assert read_current(index) == good
    settings = Settings(_env_file=None, index_dir=index, use_dense=False)  # type: ignore[call-arg]
    qa = ReportQA(IndexHandle(index, settings, with_dense=False), None)
    assert "117件" in qa.ask(Q).answer
    # the next ingest completes, switches, and sweeps the half-written generation away
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(reports), "-q"],
        env=_env(index, warm),
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert read_current(index) != good
    assert len(_generations(index)) <= 2
    assert (
        "12名"
        in ReportQA(IndexHandle(index, settings, with_dense=False), None)
        .ask("嘉定区人社局2023年新增调解员多少名？")
        .answer
    )


@pytest.fixture
def built(tmp_path: Path) -> Settings:
    settings = Settings(
        _env_file=None, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", feedback_db=tmp_path / "f.db"
    )  # type: ignore[call-arg]
    ingest([SAMPLES_DIR], settings, HashEmbedder())
    return settings


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
        assert "117件" in client.post("/api/chat", json={"question": Q}).json()["answer"]
        ready = client.get("/readyz").json()
        # the open store may still serve from memory; when it fails, readiness goes false and says why
        assert ready["ready"] is ("degraded" not in ready)
        assert "degraded" not in ready or "unavailable" in ready["degraded"]
        ingest([SAMPLES_DIR], built, HashEmbedder(), rebuild=True)
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
    ingest([SAMPLES_DIR], built, HashEmbedder(), rebuild=True)
    assert "117件" in ReportQA(IndexHandle(built.index_dir, built), HashEmbedder()).ask(Q).answer


def test_plain_reingest_over_a_damaged_index_rebuilds_instead_of_crashing(built: Settings) -> None:
    gen = built.index_dir / str(read_current(built.index_dir))
    (gen / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
    summary = ingest([SAMPLES_DIR], built, HashEmbedder())
    assert summary.parsed == 5 and not summary.unchanged
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
    assert r.status_code == 200 and "117件" in r.json()["answer"]
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert "connection refused" in ready.json()["degraded"]
    emb.down = False  # the server is back
    assert "117件" in client.post("/api/chat", json={"question": Q}).json()["answer"]
    assert client.get("/readyz").json() == {**client.get("/readyz").json(), "ready": True}
    assert client.get("/readyz").status_code == 200


def test_chroma_clients_opened_while_others_are_dropped_never_fail(built: Settings) -> None:
    """Chroma's per-process registry of stores is unlocked: opening a store while another thread drops the
    registry (as a retry does) raised KeyError, and the request got a 500."""
    import json
    import threading

    from bot.store import forget_clients, open_collection

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
