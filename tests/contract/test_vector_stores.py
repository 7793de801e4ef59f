"""The `VectorStore` contract, passed by every implementation: Chroma embedded (in a generation's folder) and
Chroma as a server (a real `chroma run` on 127.0.0.1, from the chromadb package, as tests/e2e/test_chroma_server.py
starts it).

A store holds what was added, by chunk id; a query gives the nearest chunks best first, with the cosine
similarity, within the reports asked for; vectors come back as they went in; deleted chunks are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from bot.store.vectors import ChromaVectors, VectorStore, collection_name, drop_collection
from bot.types import Chunk, SpanMap
from tests.e2e.test_chroma_server import chroma_port  # noqa: F401  (the server fixture)

DIM = 4
VECTORS = {"a1": [1.0, 0.0, 0.0, 0.0], "a2": [0.8, 0.6, 0.0, 0.0], "b1": [0.0, 0.0, 1.0, 0.0]}


def _chunk(cid: str) -> Chunk:
    report = "rep-" + cid[0]
    text = "正文" + cid
    return Chunk(cid, report, f"{report}.txt", ["一、总体情况"], text, text, 0, len(text), 2, SpanMap(((0, 0),)))


def _embedded(tmp: Path, _port: int | None) -> VectorStore:
    settings = Settings(_env_file=None, index_dir=tmp / "index")  # type: ignore[call-arg]
    return ChromaVectors.open(settings, tmp, "contract", create=True)


def _server(tmp: Path, port: int | None) -> VectorStore:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, index_dir=tmp / "index", chroma_host="127.0.0.1", chroma_port=port, collection_prefix="c"
    )
    name = collection_name(settings, tmp.name)
    drop_collection(settings, name)
    return ChromaVectors.open(settings, tmp, name, create=True)


STORES: list[Callable[[Path, int | None], VectorStore]] = [_embedded, _server]


@pytest.fixture(params=STORES, ids=lambda f: f.__name__.strip("_"))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    make: Callable[[Path, int | None], VectorStore] = request.param
    port = request.getfixturevalue("chroma_port") if make is _server else None
    s = make(tmp_path, port)
    ids = list(VECTORS)
    s.add([_chunk(i) for i in ids], [VECTORS[i] for i in ids])
    yield s


def test_a_store_holds_what_was_added(store: VectorStore) -> None:
    assert store.count() == len(VECTORS)
    assert sorted(store.ids()) == sorted(VECTORS)
    assert sorted(store.ids(["rep-a"])) == ["a1", "a2"]


def test_a_query_gives_the_nearest_first_with_cosine_similarity(store: VectorStore) -> None:
    found = store.query([1.0, 0.0, 0.0, 0.0], 3)
    assert [i for i, _ in found] == ["a1", "a2", "b1"]
    assert [round(s, 4) for _, s in found] == [1.0, 0.8, 0.0]


def test_a_query_stays_within_the_reports_asked_for(store: VectorStore) -> None:
    assert [i for i, _ in store.query([1.0, 0.0, 0.0, 0.0], 3, ["rep-b"])] == ["b1"]
    assert {i for i, _ in store.query([1.0, 0.0, 0.0, 0.0], 3, ["rep-a", "rep-b"])} == set(VECTORS)


def test_vectors_come_back_as_they_went_in(store: VectorStore) -> None:
    ids, m = store.vectors(["b1", "a2", "missing"])
    got = dict(zip(ids, m.tolist(), strict=True))
    assert set(got) == {"a2", "b1"}
    for i, v in got.items():
        assert np.allclose(v, VECTORS[i])
    assert store.vectors(["missing"])[0] == []


def test_deleted_chunks_are_gone(store: VectorStore) -> None:
    store.delete(["a1"])
    assert store.count() == 2 and "a1" not in store.ids()
    assert "a1" not in [i for i, _ in store.query([1.0, 0.0, 0.0, 0.0], 2)]
