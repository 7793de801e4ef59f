"""Retrieval: a question's text → the chunks that answer it.

hybrid    HybridRetriever (BM25 + dense, fused by RRF), RetrievalParams, bm25_decisive
expand    expanded: the query text plus the report wording of its colloquial words
compare   per_report: one retrieval per report of a comparison, interleaved
"""
