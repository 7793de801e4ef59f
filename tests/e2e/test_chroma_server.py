"""Server mode against a real Chroma server: `chroma run` on 127.0.0.1, started and stopped by this module.

One setting (`chroma_host`) switches the index from embedded Chroma to the server; everything else (the
generation folders, BM25 on disk, the CURRENT pointer) stays the same, so several workers sharing
`index_dir` see a re-ingest whichever Chroma they use. It runs on the neutral fixture (tests/fixtures/neutral),
whose made-up facts the tests edit: no gold answer of the sample reports is asserted here.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.embed import HashEmbedder
from bot.pipeline import ReportQA
from bot.retrieve.hybrid import RetrievalParams
from bot.settings import Settings
from bot.store import IndexHandle
from bot.store.layout import read_current
from bot.store.vectors import chroma_client, collection_name
from bot.types import Answer
from ingest.index import ingest
from ingest.load import load_report
from tests.conftest import NEUTRAL_DIR, NEUTRAL_NAMES, NEUTRAL_Q, NEUTRAL_SOURCE

MakeSettings = Callable[..., Settings]
QUESTION = NEUTRAL_Q
SOURCE = NEUTRAL_SOURCE
FACT_FROM = "行政复议案件73件"
FACT_TO = "行政复议案件74件"
OTHER = "keqiao_2021.txt"
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Chroma server (`chroma run`, from the chromadb package) on a free loopback port."""
    root = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    proc = _start_chroma(root / "data", port, root / "server.log")
    try:
        yield port
    finally:
        _stop(proc)


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    """A writable copy of the neutral fixture reports."""
    return Path(shutil.copytree(NEUTRAL_DIR, tmp_path / "reports"))


@pytest.fixture
def server_settings(make_settings: MakeSettings, chroma_port: int, tmp_path: Path) -> Settings:
    """Server-mode settings with a collection prefix of their own, so tests never see each other's data."""
    return make_settings(chroma_host="127.0.0.1", chroma_port=chroma_port, collection_prefix=f"t{tmp_path.name}"[-30:])


def _server_collections(settings: Settings) -> set[str]:
    return {
        c.name
        for c in chroma_client(settings, None).list_collections()
        if c.name.startswith(settings.collection_prefix + "-")
    }


def _generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.name.startswith("gen-")}


def _qa(settings: Settings) -> ReportQA:
    """What one API worker holds: its own index handle and embedder, reading the shared index_dir."""
    return ReportQA(
        IndexHandle(settings.index_dir, settings), HashEmbedder(), retrieval=RetrievalParams(k=settings.retrieval_k)
    )


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _assert_cites(ans: Answer, fact: str, reports_dir: Path) -> None:
    assert ans.answerable, ans.answer
    assert fact.removeprefix("行政复议案件") in ans.answer
    assert ans.citations, ans.answer
    for c in ans.citations:
        assert load_report(reports_dir / c.source).text[c.start : c.end] == c.quote
    assert any(c.source == SOURCE and fact in c.quote for c in ans.citations)


def test_server_mode_ingests_vectors_into_the_server_and_answers_with_citations(
    reports_dir: Path, server_settings: Settings
) -> None:
    summary = ingest([reports_dir], server_settings, HashEmbedder())
    gen = summary.generation
    assert gen is not None and summary.reports == len(NEUTRAL_NAMES) and summary.errors == []
    # the vectors live in the server, not in the generation folder
    assert not (server_settings.index_dir / gen / "chroma").exists()
    name = collection_name(server_settings, gen)
    assert _server_collections(server_settings) == {name}
    assert chroma_client(server_settings, None).get_collection(name).count() == summary.chunks

    qa = _qa(server_settings)
    data = qa.index.get()
    assert data.manifest["chroma"] == "server"
    dense = qa.retriever.dense_ranking(data, QUESTION, None)
    assert dense, "dense retrieval through the Chroma server returned nothing"
    hits = qa.retriever.retrieve(QUESTION)
    assert any(h.ranks.get("dense") for h in hits)
    _assert_cites(qa.ask(QUESTION), FACT_FROM, reports_dir)


def test_embedded_and_server_modes_retrieve_the_same_chunks(
    reports_dir: Path, server_settings: Settings, make_settings: MakeSettings
) -> None:
    embedded = make_settings(index_dir=server_settings.index_dir.with_name("embedded-index"))
    assert embedded.chroma_host is None
    ingest([reports_dir], embedded, HashEmbedder())
    ingest([reports_dir], server_settings, HashEmbedder())
    a, b = _qa(embedded), _qa(server_settings)
    assert a.index.get().manifest["chroma"] == "embedded" and b.index.get().manifest["chroma"] == "server"
    for question in (
        QUESTION,
        "柯桥区人社局2021年举办了多少场线上招聘会？",
        "法治宣传活动发放了多少份资料？",
    ):
        da, db = a.index.get(), b.index.get()
        assert [p for p, _ in a.retriever.dense_ranking(da, question, None)][:5] == [
            p for p, _ in b.retriever.dense_ranking(db, question, None)
        ][:5]
        assert [h.chunk.id for h in a.retriever.retrieve(question)] == [
            h.chunk.id for h in b.retriever.retrieve(question)
        ]


def test_reingest_switches_every_worker_to_the_new_generation_and_drops_old_collections(
    reports_dir: Path, server_settings: Settings
) -> None:
    first = ingest([reports_dir], server_settings, HashEmbedder()).generation
    workers = [_qa(server_settings), _qa(server_settings)]
    for qa in workers:
        assert qa.index.get().generation == first
        _assert_cites(qa.ask(QUESTION), FACT_FROM, reports_dir)

    _edit(reports_dir / SOURCE, FACT_FROM, FACT_TO)
    second_summary = ingest([reports_dir], server_settings, HashEmbedder())
    second = second_summary.generation
    assert second != first and (second_summary.parsed, second_summary.reused) == (1, len(NEUTRAL_NAMES) - 1)
    assert read_current(server_settings.index_dir) == second
    for qa in workers:  # both workers reload on their next request, and agree with the files
        assert qa.index.get().generation == second
        _assert_cites(qa.ask(QUESTION), FACT_TO, reports_dir)
        assert qa.index.get().vectors.count() == second_summary.chunks
    # the previous generation is kept for readers still holding it, on disk and on the server
    assert _generations(server_settings.index_dir) == {first, second}
    assert _server_collections(server_settings) == {collection_name(server_settings, g) for g in (first, second)}

    _edit(reports_dir / OTHER, "举办线上招聘会27场", "举办线上招聘会28场")
    third = ingest([reports_dir], server_settings, HashEmbedder()).generation
    assert _generations(server_settings.index_dir) == {second, third}
    assert _server_collections(server_settings) == {collection_name(server_settings, g) for g in (second, third)}
    for qa in workers:
        assert qa.index.get().generation == third
        _assert_cites(qa.ask(QUESTION), FACT_TO, reports_dir)

    # an unchanged re-ingest neither writes a generation nor touches the server
    again = ingest([reports_dir], server_settings, HashEmbedder())
    assert again.unchanged and again.generation == third
    assert _server_collections(server_settings) == {collection_name(server_settings, g) for g in (second, third)}


def _start_chroma(data: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`chroma run` on 127.0.0.1:port, returned once it answers its heartbeat."""
    exe = Path(sys.executable).with_name("chroma")
    found = str(exe) if exe.exists() else shutil.which("chroma")
    assert found, "the `chroma` command of the chromadb package is missing: pip install chromadb"
    cmd = [found, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "ab") as log:  # the child keeps its own copy of the file descriptor
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"chroma run did not answer its heartbeat within {STARTUP_SECONDS}s")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def test_chroma_server_down_readiness_false_answers_continue_then_recovery(
    make_settings: MakeSettings, reports_dir: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from bot.server.app import create_app

    port = _free_port()
    proc = _start_chroma(tmp_path / "chroma-data", port, tmp_path / "chroma.log")
    try:
        settings = make_settings(chroma_host="127.0.0.1", chroma_port=port, collection_prefix="down")
        ingest([reports_dir], settings, HashEmbedder())
        client = TestClient(create_app(settings, qa=_qa(settings)))
        assert client.get("/readyz").status_code == 200
        _stop(proc)  # the Chroma server goes away
        r = client.post("/api/chat", json={"question": QUESTION})
        assert r.status_code == 200 and FACT_FROM in r.json()["answer"]  # BM25 keeps answering
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False and "unavailable" in ready.json()["degraded"]
        proc = _start_chroma(tmp_path / "chroma-data", port, tmp_path / "chroma.log")  # and comes back
        assert FACT_FROM in client.post("/api/chat", json={"question": QUESTION}).json()["answer"]
        assert client.get("/readyz").status_code == 200
    finally:
        _stop(proc)
