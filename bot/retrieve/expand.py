"""Query expansion before retrieval: the report wording of a question's colloquial words (官司 → 诉讼) and the
section words its topic is written under (`bot.text.lexicon`)."""

from __future__ import annotations

from bot.text.lexicon import SYNONYMS, section_headings


def expanded(text: str) -> str:
    """The query text plus the report wording of its colloquial words (官司 → 诉讼)."""
    extra = [w for key, syns in SYNONYMS.items() if key in text for w in syns if w not in text]
    extra += [w for w in section_headings(text) if w not in text]
    return text + (" " + " ".join(dict.fromkeys(extra)) if extra else "")
