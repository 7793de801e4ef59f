"""The asked terms of a question, how much each weighs, and how well a text covers them.

A question's content words (without question words, entity names and years) are its *asked terms*; each
weighs its rarity over the index (IDF) times a part-of-speech weight. `term_match` grades how well a text
holds a term on one scale, which the thresholds elsewhere compare against.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.query import Query
from bot.store.termindex import NgramIndex
from bot.text import places
from bot.text.analysis import STOPWORDS, normalize, words
from bot.text.lexicon import SYNONYMS
from bot.text.orgs import first_org

if TYPE_CHECKING:
    from bot.store import IndexData

# Words that say *how* something is asked, not *what*: they never count as asked terms.
QUESTION_WORDS = frozenset(
    "多少 几 几个 几件 几次 几家 几项 几场 几名 几部 几条 几期 几位 几户 几天 什么 哪些 哪个 哪家 哪位 哪年 哪天 "
    "哪几 哪几个 谁 是否 有没有 是不是 怎么 怎样 如何 为什么 为啥 啥 吗 呢 了 的 一共 总共 共 共计 合计 分别 各 "
    "都 还 那 那么 这 这些 其中 他们 它们 情况 方面 叫 叫什么 名字 请问 告诉 一下 能 可以 会 要 需要 有 没有 "
    "报告 年度 年 今年 去年 那年 当年 干 做 搞 办 弄 怎么样 比例 多高 多大 占 一些 主要 具体 开始 时候 "
    "人社局 人社 人力资源 社会保障局 人力资源和社会保障局 社会保障 局 区 市 县 提到 说 讲 自己 承认 提 提了 写 写了 "
    "出 出了 来 去 里 里面 那个 这个 这份 那份 干嘛 一般 大概 最后 重点 主要 数字 觉得 认为 还有".split()
)

# The scale of term_match: the term itself, a synonym, an abbreviation, shared bigrams, shared characters.
EXACT = 1.0
SYNONYM = 0.9
ABBREVIATION = 0.8
BIGRAMS = 0.7
CHARACTERS = 0.3

_WEAK_POS = ("a", "d", "f", "b", "t", "m", "q", "r", "p", "c", "u", "e", "y", "z")
_NEGATION = re.compile(r"(?:不算|不含|不包括|除去|除了|排除|去掉)([\u4e00-\u9fa5]{2,12})")


@functools.lru_cache(maxsize=8192)
def is_weak_pos(term: str) -> bool:
    """Nouns and verbs say what is asked; a term of only adjectives, adverbs and the like says less."""
    import jieba.posseg as pseg

    flags = [p.flag for p in pseg.lcut(term)]
    return bool(flags) and all(f.startswith(_WEAK_POS) for f in flags)


@functools.lru_cache(maxsize=8192)
def is_nounish(term: str) -> bool:
    import jieba.posseg as pseg

    return any(p.flag.startswith("n") or p.flag in ("vn", "nz", "j") for p in pseg.lcut(term))


class TermWeights:
    """Inverse document frequency of terms over the chunks of one index generation (cached)."""

    def __init__(self, data: IndexData, weak_pos_weight: float):
        self.generation = data.generation
        self.n = max(len(data.chunks), 1)
        self.index = data.ngrams or NgramIndex.of_chunks(data.chunks)
        self.weak_pos_weight = weak_pos_weight
        self._cache: dict[str, float] = {}
        self._df: dict[str, int] = {}

    def df(self, term: str) -> int:
        """How many chunks contain the term (see bot.termindex for terms of three characters or more)."""
        d = self._df.get(term)
        if d is None:
            d = self._df[term] = self.index.df(term)
        return d

    def idf(self, term: str) -> float:
        """IDF times a part-of-speech weight: the importance of an asked term."""
        w = self._cache.get(term)
        if w is None:
            df = self.df(term)
            unseen = (
                df == 0
                and not is_nounish(term)
                and not _NOT.match(term)
                and not any(self.df(normalize(x)) for x in SYNONYMS.get(term, ()))
            )
            pos = self.weak_pos_weight if is_weak_pos(term) or unseen else 1.0
            w = math.log(1 + (self.n - df + 0.5) / (df + 0.5)) * pos
            self._cache[term] = w
        return w


def entity_words(query: Query, data: IndexData) -> list[str]:
    """The names of the places and issuers of the reports asked about: never asked terms themselves."""
    ent: list[str] = []
    for rid in query.report_ids or list(data.reports):
        m = data.reports[rid].meta if rid in data.reports else None
        if not m:
            continue
        for n in m.region.names():
            ent += [n, places.stem(n)]
        if m.issuer:
            ent.append(m.issuer)
    ent += query.regions + query.unknown_regions
    writer = first_org(query.typed, prefixed_only=True)
    if writer and re.search(r"(?:局|厅|委员会|人民政府|政府|管委会|办事处)$", writer.name):
        ent.append(writer.name)  # the body the question names as the report's writer ("乐山市交通运输局…")
    return ent


def asked_terms(text: str, entity_words: Sequence[str], known: Callable[[str], bool] | None = None) -> list[str]:
    """Content words of a question, without question words, entity names and years.

    A phrase the question quotes (“五站调解”, 《…》) is kept whole: the asker copied it from the report. With
    `known` (is this string in the reports?), a question of no other content word takes two single characters
    side by side that jieba left apart as one word, when the reports use them together ("那会办的呢" → 会办).
    """
    ent = {normalize(e) for e in entity_words}
    out: list[str] = [normalize(q) for q in re.findall(r"[“\"《「]([^”\"》」]{2,20})[”\"》」]", text)]
    out += [normalize(m) for m in re.findall(r"[0-9A-Za-z]+(?:[+＋/][0-9A-Za-z]+)+", text)]  # "3+3+8+N"
    singles: list[str] = []
    for w in words(text):
        if len(w) == 1 and w not in STOPWORDS and "\u4e00" <= w <= "\u9fa5":
            singles.append(w)
        if (
            w in QUESTION_WORDS
            or w in STOPWORDS
            or w in ent
            or re.fullmatch(r"(?:19|20)\d{2}年?|\d+|(?:多少|几|哪)[\u4e00-\u9fa5]?|[那这]\w", w)
        ):
            continue
        if any(w in e for e in ent if len(w) >= 2):
            continue
        if len(w) == 1 and w not in SYNONYMS:
            continue
        if w not in out:
            out.append(w)
    if known and not out:  # (only then: a pair beside real words may be any two characters the reports hold)
        norm = normalize(text)
        out += [a + b for a, b in itertools.pairwise(singles) if a + b in norm and known(a + b)]
    # drop words contained in a longer asked word (jieba search mode yields both)
    return [w for w in out if not any(w != o and w in o and len(w) >= 2 for o in out)] or out


def negated_terms(question: str) -> list[str]:
    """Words the question excludes ("不算上年结转的" → 上年, 结转): a window naming them is the wrong one."""
    out: list[str] = []
    for m in _NEGATION.finditer(normalize(question)):
        out += [w for w in words(m.group(1)) if len(w) >= 2]
    return out


# a post ("组长", "局长", "主任"): 副 before it names the deputy, another post
_POSTS = ("长", "主任", "书记", "主席", "委员")


def term_match(term: str, text: str) -> float:
    """1 when the term (or a synonym) is in the text; partial credit for shared characters."""
    if term in text:
        if term.endswith(_POSTS) and not term.startswith("副") and text.count(term) == text.count("副" + term):
            return CHARACTERS  # "副组长" is another post than "组长": a deputy is not the one asked for
        return EXACT
    for syn in SYNONYMS.get(term, ()):
        if normalize(syn) in text:
            return SYNONYM
    if 2 <= len(term) <= 4 and _abbreviates(term, text):
        return ABBREVIATION
    neg = _NOT.match(term)
    if neg and _negated_in(neg.group(1), text):
        return SYNONYM  # "没输" in "无败诉", "未发生…": the thing said not to have happened, in the report's words
    if len(term) >= 3:
        bigrams = [term[i : i + 2] for i in range(len(term) - 1)]
        frac = sum(1 for b in bigrams if b in text) / len(bigrams)
        return BIGRAMS * frac
    if len(term) == 2:
        return CHARACTERS * sum(1 for ch in term if ch in text) / 2
    return 0.0


# a word that says something did not happen ("没输", "没出过"), and the report's ways of writing it
_NOT = re.compile(r"(?:没有|没|未|无|不)([\u4e00-\u9fa5]{1,4})$")
_NOT_IN_TEXT = r"(?:无|未|没有|零|不)"


def _negated_in(stem: str, text: str) -> bool:
    """True when the text negates the stem or a synonym of it, within a few characters ("无一终审败诉")."""
    stem = stem.removesuffix("过").removesuffix("了") or stem
    for form in (stem, *SYNONYMS.get(stem, ())):
        if re.search(_NOT_IN_TEXT + r"[\u4e00-\u9fa5]{0,4}?" + re.escape(normalize(form)), text):
            return True
    return False


def _abbreviates(term: str, text: str) -> bool:
    """True when the term's characters appear in order within a short stretch ("社保" in "社会保险")."""
    limit = 3 * len(term)
    pos = text.find(term[0])
    while pos >= 0:
        i, j = 1, pos + 1
        while i < len(term) and j < len(text) and j - pos < limit:
            if text[j] == term[i]:
                i += 1
            j += 1
        if i == len(term):
            return True
        pos = text.find(term[0], pos + 1)
    return False
