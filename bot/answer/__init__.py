"""Answering a prepared question: the Answerer seam (base), the LLM answerer (llm), the fallback that composes
it with the extractive answerer (fallback), and the extractive answerer itself with its Answerer adapter
(extractive/)."""
