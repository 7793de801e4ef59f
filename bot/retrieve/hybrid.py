"""Hybrid retrieval: BM25 over jieba words + character bigrams, dense vectors in Chroma, fused by RRF."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot import budget
from bot.budget import BudgetExceeded
from bot.embed import Embedder, QueryVectors
from bot.errors import ConfigError
from bot.settings import Settings
from bot.store import IndexData, IndexHandle
from bot.text.analysis import bm25_tokens
from bot.types import Hit

log = logging.getLogger(__name__)

RRF_K = 60
EXACT_DENSE_MAX = 300
"""A dense search restricted to at most this many chunks (about 10 reports) is ranked exactly here, from the
candidates' vectors fetched by id, instead of by a Chroma `where` query. Measured at 30,000 chunks: fetching
costs ~0.045 ms per chunk (3.5 ms for one report's 27, 14 ms for 314), while the `where` query scans every
record's metadata (~25 ms at any filter size; ~1.6 ms at 150 chunks) and is approximate under a selective
filter."""


DECISIVE_OVER_REPORTS = 1.4
DECISIVE_OVER_NEXT = 2.5
"""BM25 is decisive when its best chunk scores 1.4 times the best chunk of any other report, or 2.5 times the
next chunk: the dense query is then skipped. Measured on the tune, reworded and held-out sets: it skips every
dense query of 61 of their 349 questions (17.5 %) and changes none of the 349 answers or citations; looser
thresholds change some (`python bench/dense_skip.py --sweep`, BENCHMARKS.md)."""


def bm25_decisive(data: IndexData, ranking: Sequence[tuple[int, float]]) -> bool:
    """Whether BM25's best hit stands out so far that dense retrieval cannot change what is answered."""
    if len(ranking) < 2:
        return False
    best_pos, best = ranking[0]
    if best >= DECISIVE_OVER_NEXT * ranking[1][1]:
        return True
    home = data.chunks[best_pos].report_id
    other = next((score for pos, score in ranking[1:] if data.chunks[pos].report_id != home), None)
    return other is not None and best >= DECISIVE_OVER_REPORTS * other


@dataclass(frozen=True)
class RetrievalParams:
    """How retrieval ranks: given once, to the pipeline, which hands them to its retriever."""

    k: int = 6
    """Hits returned (and the LLM's context blocks)."""
    pool: int | None = None
    """Candidates each ranking keeps before fusion; None: max(30, k)."""
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    query_chars: int = 96
    """The query text embedded is cut to this many characters."""
    query_cache: int = 2048
    """Query vectors kept in memory."""
    dense_skip: bool = True
    """Skip the dense query when BM25 is decisive (bm25_decisive), and make it only to retry a refusal."""

    def __post_init__(self) -> None:
        if self.k <= 0:
            raise ConfigError(f"k must be > 0, got {self.k}")
        if self.pool is not None and self.pool < self.k:
            raise ConfigError(f"pool must be >= k, got pool={self.pool}, k={self.k}")

    @property
    def candidates(self) -> int:
        return self.pool if self.pool is not None else max(30, self.k)


def make_retrieval_params(settings: Settings) -> RetrievalParams:
    return RetrievalParams(
        k=settings.retrieval_k,
        bm25_weight=settings.bm25_weight,
        dense_weight=settings.dense_weight,
        query_chars=settings.query_embed_chars,
        query_cache=settings.query_cache_size,
        dense_skip=settings.dense_skip,
    )


class HybridRetriever:
    """Retrieves chunks for a query text, optionally restricted to some reports."""

    def __init__(self, index: IndexHandle, embedder: Embedder | None, params: RetrievalParams | None = None):
        params = params or RetrievalParams()
        self.index = index
        self.embedder = embedder
        self.params = params
        self.k = params.k
        self.pool = params.candidates
        self.bm25_weight = params.bm25_weight
        self.dense_weight = params.dense_weight
        self.dense_skip = params.dense_skip  # skip the dense query when BM25 is decisive (bm25_decisive)
        self.retrievals = 0  # counts (approximate under threads), for benchmarks and the eval
        self.dense_skipped = 0
        # bounded and cached: a comparison retrieves once per report with the same text, and questions repeat
        self.query_vectors = (
            QueryVectors(embedder, max_chars=params.query_chars, size=params.query_cache) if embedder else None
        )

    def bm25_ranking(self, data: IndexData, text: str, report_ids: Sequence[str] | None) -> list[tuple[int, float]]:
        """(chunk position, score) best first, within the given reports."""
        if data.bm25 is None:
            return []
        tokens = [t for t in bm25_tokens(text) if t in data.bm25.vocab_dict]
        if not tokens:
            return []
        scores = data.bm25.get_scores(tokens)
        idx = self._positions(data, report_ids) if report_ids else np.arange(len(scores))
        if idx.size == 0:
            return []
        sub = scores[idx]
        n = min(self.pool, idx.size)
        top = np.argpartition(-sub, n - 1)[:n]
        top = top[np.argsort(-sub[top])]
        return [(int(idx[i]), float(sub[i])) for i in top if sub[i] > 0]

    def dense_ranking(self, data: IndexData, text: str, report_ids: Sequence[str] | None) -> list[tuple[int, float]]:
        if self.embedder is None or data.vectors is None:
            return []
        spent = budget.current()
        if spent is not None and spent.expired():
            spent.note("dense retrieval skipped, answered from BM25 alone")
            return []
        n = min(self.pool, len(data.chunks))
        within = self._positions(data, report_ids) if report_ids else None
        try:
            vec = self._query_vector(text)
            if within is not None and within.size <= EXACT_DENSE_MAX:
                out = self._exact_ranking(data, vec, within)
            else:
                found = data.vectors.query(vec, n, report_ids)
                out = [(data.chunk_index[cid], sim) for cid, sim in found if cid in data.chunk_index]
        except BudgetExceeded as exc:  # the embedder was busy for the rest of the request's time budget
            if spent is not None:
                spent.note(f"{exc}; answered from BM25 alone")
            return []
        except Exception as exc:  # a vector store or embedder that is down: keep answering from BM25
            if spent is not None and spent.expired():  # (a remote embedder's call gave up with the budget)
                spent.note(f"dense retrieval gave up ({type(exc).__name__}); answered from BM25 alone")
            # readiness probes the components itself (GET /readyz): one request's failure only goes to the log
            log.warning("dense retrieval unavailable (%s: %s); answering from BM25 alone", type(exc).__name__, exc)
            return []
        return out

    @staticmethod
    def _positions(data: IndexData, report_ids: Sequence[str]) -> np.ndarray:
        return np.concatenate([data.report_chunks.get(r, np.empty(0, dtype=np.int64)) for r in report_ids])

    def _query_vector(self, text: str) -> list[float]:
        assert self.query_vectors is not None
        return self.query_vectors(text)

    def _exact_ranking(self, data: IndexData, vec: list[float], positions: np.ndarray) -> list[tuple[int, float]]:
        """Cosine similarity of the query to each given chunk, best first (the pool's worth)."""
        if positions.size == 0 or data.vectors is None:
            return []
        ids, m = data.vectors.vectors([data.chunks[int(p)].id for p in positions])
        if not ids:
            return []
        q = np.asarray(vec, dtype=np.float32)
        norms = np.linalg.norm(m, axis=1) * (float(np.linalg.norm(q)) or 1.0)
        sims = (m @ q) / np.where(norms > 0, norms, 1.0)
        order = np.argsort(-sims, kind="stable")[: self.pool]
        return [(data.chunk_index[ids[i]], float(sims[i])) for i in order if ids[i] in data.chunk_index]

    def retrieve(
        self,
        text: str,
        report_ids: Sequence[str] | None = None,
        k: int | None = None,
        boost_reports: Sequence[str] = (),
        *,
        dense: bool = True,
    ) -> list[Hit]:
        """The top-k chunks by reciprocal-rank fusion of BM25 and dense rankings (BM25 alone with dense=False)."""
        data = self.index.get()
        k = k or self.k
        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        bm25 = self.bm25_ranking(data, text, report_ids)
        skip = self.embedder is not None and (not dense or (self.dense_skip and bm25_decisive(data, bm25)))
        dense_ranks = [] if skip else self.dense_ranking(data, text, report_ids)
        self.retrievals += 1
        self.dense_skipped += skip
        for name, weight, ranking in (("bm25", self.bm25_weight, bm25), ("dense", self.dense_weight, dense_ranks)):
            for rank, (pos, _score) in enumerate(ranking):
                fused[pos] = fused.get(pos, 0.0) + weight / (RRF_K + rank + 1)
                ranks.setdefault(pos, {})[name] = rank + 1
        if boost_reports:
            boost = set(boost_reports)
            for pos in fused:
                if data.chunks[pos].report_id in boost:
                    fused[pos] *= 1.5
        best = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        return [Hit(chunk=data.chunks[pos], score=score, ranks=ranks[pos]) for pos, score in best]
