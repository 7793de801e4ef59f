"""The error tree. Messages name the file, report or setting involved and say what to do.

Errors are translated once, at the edge: the HTTP layer maps them to ``{"error": {"code", "message"}}``
and the CLIs print the message and exit 1.
"""

from __future__ import annotations


class ReportQAError(Exception):
    """Base of every error this project raises on purpose."""

    code = "reportqa_error"
    status = 500


class IngestError(ReportQAError):
    """A report file could not be read or parsed (empty, binary, undecodable)."""

    code = "ingest_error"
    status = 422


class IndexNotFound(ReportQAError):
    """No usable index exists where the settings point."""

    code = "index_not_found"
    status = 503


class IndexCorrupted(ReportQAError):
    """The index exists but its files are damaged; `python -m ingest --rebuild` recovers."""

    code = "index_corrupted"
    status = 503


class ConfigError(ReportQAError):
    """A setting is missing or invalid."""

    code = "config_error"
    status = 500


class EmbeddingError(ReportQAError):
    """The embedder failed (an unreachable endpoint, a wrong dimension)."""

    code = "embedding_error"
    status = 502


class LLMError(ReportQAError):
    """The LLM endpoint failed, timed out or answered garbage."""

    code = "llm_error"
    status = 502


class BadRequest(ReportQAError):
    """The caller sent something we cannot answer (empty question, unknown report id)."""

    code = "bad_request"
    status = 400


class NotFound(ReportQAError):
    code = "not_found"
    status = 404
