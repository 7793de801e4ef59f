"""Answering a prepared question: the Answerer seam (base), the LLM answerer (llm) and the fallback that composes
it with the extractive answerer (fallback). The extractive answerer itself lives in bot/extractive/."""
