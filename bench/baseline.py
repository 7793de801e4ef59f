"""The plain LangChain baseline the scale benchmark compares against, on the same gold set and machine.

Two textbook pipelines over the same report files:
- `RecursiveCharacterTextSplitter(chunk_size=300, chunk_overlap=50)` with its default separators, over
  each file's decoded text (offsets kept with `add_start_index`);
- BM25 (bm25s) over plain `jieba.lcut` tokens (punctuation and spaces dropped; no stop words, no custom
  dictionary, no bigrams), and `langchain_chroma.Chroma` with the same embedder as ours, wrapped as a
  LangChain `Embeddings`.

Neither reads metadata or history: the query is the question, preceded by the earlier user turns of a
follow-up. The "answer" is the top chunk and its citation that chunk's span in the file; recall@5 and
citation accuracy are then computed exactly as `eval/metrics.py` does (overlap with the gold evidence span,
answerable items only).
"""

from __future__ import annotations

import functools
import logging
import statistics
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.embed import Embedder
from eval.gold import ReportTexts, gold_spans
from eval.metrics import first_relevant_rank, latency_ms, overlaps
from eval.records import GoldItem, Span

CHUNK_SIZE = 300
CHUNK_OVERLAP = 50
K = 5


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    """A jieba tokenizer of its own, with the stock dictionary only: our analyzer adds domain words and
    place names to jieba's global one, which must not leak into the baseline when both run in one process."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def jieba_tokens(text: str) -> list[str]:
    """Plain jieba words, without whitespace and punctuation tokens."""
    out = []
    for t in _jieba().lcut(text):
        t = t.strip()
        if t and not all(unicodedata.category(ch)[0] in "PZS" for ch in t):
            out.append(t)
    return out


@dataclass
class BaselineChunk:
    source: str
    start: int
    end: int
    text: str


def split_corpus(corpus: Path) -> list[BaselineChunk]:
    """RecursiveCharacterTextSplitter(300, 50) over every report, with exact file offsets."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    texts = ReportTexts(corpus)
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    out: list[BaselineChunk] = []
    for f in sorted(corpus.glob("*.txt")):
        text = texts.get(f.name)
        for doc in splitter.create_documents([text]):
            start = int(doc.metadata["start_index"])
            end = start + len(doc.page_content)
            assert text[start:end] == doc.page_content, f.name
            out.append(BaselineChunk(f.name, start, end, doc.page_content))
    return out


class BM25Baseline:
    def __init__(self, chunks: Sequence[BaselineChunk]):
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.chunks = list(chunks)
        self.bm25 = bm25s.BM25()
        self.bm25.index([jieba_tokens(c.text) or [""] for c in self.chunks], show_progress=False)

    def search(self, query: str, k: int = K) -> list[BaselineChunk]:
        tokens = [t for t in jieba_tokens(query) if t in self.bm25.vocab_dict]
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        n = min(k, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [self.chunks[i] for i in top if scores[i] > 0]


class ChromaBaseline:
    def __init__(self, chunks: Sequence[BaselineChunk], embedder: Embedder, workdir: Path):
        from langchain_chroma import Chroma

        from bench.embedders import langchain_embeddings
        from bot.settings import Settings
        from bot.store.vectors import chroma_client

        self.chunks = list(chunks)
        client = chroma_client(Settings(_env_file=None), workdir / "chroma")  # type: ignore[call-arg]
        self.store = Chroma(
            collection_name="baseline",
            embedding_function=langchain_embeddings(embedder),
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        for i in range(0, len(self.chunks), 2000):
            part = self.chunks[i : i + 2000]
            self.store.add_texts(
                [c.text for c in part],
                metadatas=[{"source": c.source, "start": c.start, "end": c.end} for c in part],
                ids=[str(j) for j in range(i, i + len(part))],
            )

    def search(self, query: str, k: int = K) -> list[BaselineChunk]:
        return [self.chunks[int(d.id)] for d in self.store.similarity_search(query, k=k)]


def query_text(item: GoldItem) -> str:
    """The question, preceded by the earlier user turns of a follow-up (the baseline has no history logic)."""
    return " ".join([c for role, c in item.history if role == "user"] + [item.question])


def evaluate_baseline(search: Any, items: Sequence[GoldItem], texts: ReportTexts, repeat: int = 2) -> dict[str, Any]:
    """recall@5, citation accuracy (top chunk overlaps gold) and query latency over the answerable items."""
    answerable = [it for it in items if it.answerable]
    search(query_text(answerable[0]))  # warm-up
    recall, cited, lat = [], [], []
    for rep in range(repeat):
        for it in answerable:
            t0 = time.perf_counter()
            found = search(query_text(it))
            lat.append((time.perf_counter() - t0) * 1000)
            if rep:
                continue
            gold = gold_spans(it, texts)
            spans = [Span(c.source, c.start, c.end) for c in found]
            recall.append(first_relevant_rank(spans, gold, K) is not None)
            cited.append(bool(spans) and any(overlaps(spans[0], g) for g in gold))
    return {
        "n": len(answerable),
        "recall_at_5": round(statistics.mean(recall), 4),
        "citation_accuracy": round(statistics.mean(cited), 4),
        **latency_ms(lat, 2),
    }
