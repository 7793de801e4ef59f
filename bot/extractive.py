"""The offline extractive answerer: picks the minimal clauses that answer, cites them, or refuses.

For every sentence of the retrieved chunks it measures how much of the question's *asked terms* the
sentence covers (weighted by rarity, with colloquial synonyms), and whether it holds the kind of fact asked
for: a number with the asked unit for a count, a percentage, an amount, a date, a name, an enumeration.
The best sentence is narrowed to the clauses that carry the answer. When no sentence covers the question
well enough, or none holds the asked kind of fact, the bot refuses and says what it did find.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import places
from bot.analysis import STOPWORDS, normalize, sentence_spans, words
from bot.decision import AnswerGate
from bot.lexicon import SYNONYMS
from bot.numerals import MEASURES, arabic, counted_numerals
from bot.query import Query
from bot.termindex import NgramIndex
from bot.types import Answer, Chunk, Citation, Context, Hit

if TYPE_CHECKING:
    from bot.pipeline import Prepared
    from bot.store import IndexData, ReportRecord

log = logging.getLogger(__name__)

# Words that say *how* something is asked, not *what*: they never count as asked terms.
QUESTION_WORDS = frozenset(
    "多少 几 几个 几件 几次 几家 几项 几场 几名 几部 几条 几期 几位 几户 几天 什么 哪些 哪个 哪家 哪位 哪年 哪天 "
    "哪几 哪几个 谁 是否 有没有 是不是 怎么 怎样 如何 为什么 为啥 啥 吗 呢 了 的 一共 总共 共 共计 合计 分别 各 "
    "都 还 那 那么 这 这些 其中 他们 它们 情况 方面 叫 叫什么 名字 请问 告诉 一下 能 可以 会 要 需要 有 没有 "
    "报告 年度 年 今年 去年 那年 当年 干 做 搞 办 弄 怎么样 比例 多高 多大 占 一些 主要 具体 开始 时候 "
    "人社局 人社 人力资源 社会保障局 人力资源和社会保障局 社会保障 局 区 市 县 提到 说 讲 自己 承认 提 提了 写 写了 "
    "出 出了 来 去 里 里面 那个 这个 这份 那份 干嘛 一般 大概 最后 重点 主要".split()
)

_UNIT_GROUPS: list[frozenset[str]] = [
    frozenset("件 宗 件次 起 个 例".split()),
    frozenset("次 件次 场 期 轮 回 人次".split()),
    frozenset("人 名 位 人次 户 余人 余名".split()),
    frozenset("家 个 户 所 余家".split()),
    frozenset("项 个 条 类 款 余项".split()),
    frozenset("部 件 个 份 本".split()),
    frozenset("天 日 个工作日 工作日".split()),
    frozenset("万元 元 亿元 万".split()),
    frozenset("学时 小时 课时".split()),
]
# a number and its unit: any measure word of bot.numerals, so 则, 年, 号 and 分 count as units too
_UNITS = sorted(
    {"%", "万元", "亿元", "万人次", "万余", "万", *(f"余{m}" for m in "件户人家名场次项"), *MEASURES},
    key=len,
    reverse=True,
)
_NUM = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(" + "|".join(map(re.escape, _UNITS)) + r")?")
_YEAR_NUMBER = re.compile(r"(?:19|20)\d{2}")
_DATE = re.compile(
    r"(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}"
)
_ENUM = re.compile(r"[一二三四五六七八九十]是|[（(][一二三四五六七八九十\d][)）]|[①②③④⑤⑥⑦⑧⑨]")
_ORG = re.compile(r"[\u4e00-\u9fa5]{2,20}?(?:事务所|律师所|中心|大学|学院|委员会|办公室|局|处|科|院|所|站|队|会|公司)")
_CLAUSE_BREAK = set("，,；;：:")
# a title followed by a two- or three-character name: 局长刘志辉, 副组长徐冬先
_ROLE_NAME = re.compile(
    r"(?:局长|副局长|书记|主任|组长|副组长|秘书长|部长|厅长|处长|科长|队长|团长|院长|主席|律师|讲师)"
    r"([\u4e00-\u9fa5]{2,3})(?=[,，、和及与。；;（(\s]|$)"
)


def _looks_like_name(s: str) -> bool:
    """A person's name, not a word: jieba tags it as a name or knows no word in it ("接待日" is no name)."""
    import jieba.posseg as pseg

    parts = pseg.lcut(s)
    return any(p.flag == "nr" for p in parts) or all(len(p.word) == 1 for p in parts)


_TITLE_KINDS = frozenset(
    "文件 制度 办法 规定 通知 意见 方案 细则 手册 条例 规章 名字 名称 主题 规范性文件 政策 文件名".split()
)
_RESULT_VERB = re.compile(r"(?:真正|有效|切实|全面)?(?:杜绝|实现|确保|避免|防止|使|促进|提高|提升|达到|保障)")
_ASPIRATION = re.compile(r"力争|争取|计划|预计|目标|拟|将(?:进一步|继续|着力|力争)?|下一步|明年")
_TYPED = ("count", "percent", "amount", "who", "when", "name", "rank")
_CATALOG_SHOWN = 20  # a refusal names at most this many reports, then says how many there are
_OPEN = "《“‘（(「『【"
_CLOSE = "》”’）)」』】"


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, scored against the question."""

    hit_rank: int
    chunk: Chunk
    start: int  # in chunk.text
    end: int
    coverage: float = 0.0
    type_ok: bool = False
    score: float = 0.0
    matched: list[str] = field(default_factory=list)
    key_ok: bool = False  # the rarest asked noun is in the sentence or its heading

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]


@dataclass
class Piece:
    """A span of a chunk chosen for the answer."""

    chunk: Chunk
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]


_NUMBERING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+[章节部篇]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]"
    r"|\d+[.、．]|[①②③④⑤⑥⑦⑧⑨⑩])\s*"
)


def _title_verb(query: Query) -> str | None:
    """For "which document" questions, how the report introduces the document the question asks for."""
    if re.search(r"按|根据|依据|依照|遵照", query.focus):
        return r"(?:根据|按照|依据|依照|遵照)[^。；]{0,20}《"
    if re.search(r"出|制定|制订|发|印发|出台|编", query.focus):
        return r"(?:制定|制订|出台|印发|发布|编印|编制|修订)[^。；，,]{0,6}《"
    return None


def _is_heading_echo(sent: str, heading: str) -> bool:
    """True when a sentence is just the section heading (the lead phrase of a numbered paragraph)."""
    a = re.sub(r"[\W_]+", "", _strip_numbering(normalize(sent)))
    b = re.sub(r"[\W_]+", "", _strip_numbering(normalize(heading)))
    return bool(a) and a == b


def _strip_numbering(heading: str) -> str:
    return _NUMBERING.sub("", heading).rstrip("。：:")


_WEAK_POS = ("a", "d", "f", "b", "t", "m", "q", "r", "p", "c", "u", "e", "y", "z")


@functools.lru_cache(maxsize=8192)
def pos_weight(term: str) -> float:
    """Nouns and verbs say what is asked; adjectives, adverbs and the like count less."""
    import jieba.posseg as pseg

    flags = [p.flag for p in pseg.lcut(term)]
    if flags and all(f.startswith(_WEAK_POS) for f in flags):
        return 0.4
    return 1.0


@functools.lru_cache(maxsize=8192)
def is_nounish(term: str) -> bool:
    import jieba.posseg as pseg

    return any(p.flag.startswith("n") or p.flag in ("vn", "nz", "j") for p in pseg.lcut(term))


class TermWeights:
    """Inverse document frequency of terms over the chunks of one index generation (cached)."""

    def __init__(self, data: IndexData):
        self.generation = data.generation
        self.n = max(len(data.chunks), 1)
        self.index = data.ngrams or NgramIndex.of_chunks(data.chunks)
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
            w = math.log(1 + (self.n - df + 0.5) / (df + 0.5)) * pos_weight(term)
            self._cache[term] = w
        return w


def asked_terms(text: str, entity_words: Sequence[str]) -> list[str]:
    """Content words of a question, without question words, entity names and years.

    A phrase the question quotes (“五站调解”, 《…》) is kept whole: the asker copied it from the report.
    """
    ent = {normalize(e) for e in entity_words}
    out: list[str] = [normalize(q) for q in re.findall(r"[“\"《「]([^”\"》」]{2,20})[”\"》」]", text)]
    out += [normalize(m) for m in re.findall(r"[0-9A-Za-z]+(?:[+＋/][0-9A-Za-z]+)+", text)]  # "3+3+8+N"
    for w in words(text):
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
    # drop words contained in a longer asked word (jieba search mode yields both)
    return [w for w in out if not any(w != o and w in o and len(w) >= 2 for o in out)] or out


_NEGATION = re.compile(r"(?:不算|不含|不包括|除去|除了|排除|去掉)([\u4e00-\u9fa5]{2,12})")


def negated_terms(question: str) -> list[str]:
    """Words the question excludes ("不算上年结转的" → 上年, 结转): a window naming them is the wrong one."""
    out: list[str] = []
    for m in _NEGATION.finditer(normalize(question)):
        out += [w for w in words(m.group(1)) if len(w) >= 2]
    return out


def term_match(term: str, text: str) -> float:
    """1 when the term (or a synonym) is in the text; partial credit for shared characters."""
    if term in text:
        return 1.0
    for syn in SYNONYMS.get(term, ()):
        if normalize(syn) in text:
            return 0.9
    if 2 <= len(term) <= 4 and _abbreviates(term, text):
        return 0.8
    if len(term) >= 3:
        bigrams = [term[i : i + 2] for i in range(len(term) - 1)]
        frac = sum(1 for b in bigrams if b in text) / len(bigrams)
        return 0.7 * frac
    if len(term) == 2:
        return 0.3 * sum(1 for ch in term if ch in text) / 2
    return 0.0


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


_CN_NUM = re.compile(
    r"(?<![一二三四五六七八九十两第])([二三四五六七八九十两]|[一二三四五六七八九十]{2,3})\s*(步|项|站|条|类|种|级|大|批|轮|方面)"
)


def numbers_in(text: str) -> list[tuple[str, str, int, int]]:
    """(number, unit, start, end) of each number in text, Arabic or Chinese numerals (三步, 五站, 四年, 两人).

    A year (2020年) is a date, not a count; a number with no unit counts only when it has decimals (99.99).
    """
    out = []
    for m in _NUM.finditer(text):
        unit = m.group(2) or ""
        if unit == "年" and _YEAR_NUMBER.fullmatch(m.group(1)):
            continue
        out.append((m.group(1), unit, m.start(), m.end()))
    quoted = [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”|《[^》]*》|\"[^\"]*\"", text)]
    seen = set()
    for m in _CN_NUM.finditer(text):
        if any(a <= m.start() < b for a, b in quoted):
            continue  # “三项制度” is a name, not a count
        out.append((m.group(1), m.group(2), m.start(), m.end()))
        seen.add(m.start())
    for value, unit, a, b in counted_numerals(text):
        if a not in seen and not any(qa <= a < qb for qa, qb in quoted):
            out.append((value, unit, a, b))
    return out


def unit_ok(unit: str, asked: str | None) -> bool:
    """Whether a number's unit answers a question asking for `asked` (件 accepts 宗 and 件次)."""
    if not asked:
        return bool(unit)
    u = unit.removeprefix("余").removeprefix("万") or unit
    return any(asked in g and (u in g or unit in g) for g in _UNIT_GROUPS) or u == asked


class ExtractiveAnswerer:
    """Answers from the retrieved chunks alone: no model, no network."""

    def __init__(
        self,
        min_coverage: float = 0.36,
        min_coverage_fact: float = 0.35,
        max_answer_chars: int = 110,
        gate: AnswerGate | str | None = "fitted",
    ):
        if not 0 < min_coverage <= 1 or not 0 < min_coverage_fact <= 1:
            raise ValueError("coverage thresholds must be in (0, 1]")
        self.min_coverage = min_coverage
        self.min_coverage_fact = min_coverage_fact
        self.max_answer_chars = max_answer_chars
        self.gate: AnswerGate | None = AnswerGate.load() if isinstance(gate, str) else gate
        self.trace: list[dict[str, object]] | None = None  # set to a list to record each decision (calibration)
        self._weights: TermWeights | None = None
        self._catalog_of: str | None = None
        self._catalog_text = ""

    # ------------------------------------------------------------------ entry point
    def answer(self, prep: Prepared) -> Answer:
        query, hits, data = prep.query, prep.hits, prep.data
        contexts = [Context(source=h.chunk.source, start=h.chunk.start, end=h.chunk.end, score=h.score) for h in hits]
        refusal = self.metadata_refusal(query, data)
        if refusal:
            return Answer(answer=refusal, answerable=False, contexts=contexts, reason="not covered")
        if not hits:
            return Answer(
                answer="报告中没有找到与这个问题相关的内容。",
                answerable=False,
                contexts=contexts,
                reason="no hits",
            )
        weights = self._term_weights(data)
        entity = self._entity_words(query, data)
        terms = asked_terms(query.focus, entity)
        if query.qtype == "name":
            # "哪个文件/什么制度" names the kind of title asked for; the 《…》 it needs is checked as the fact type
            terms = [t for t in terms if t not in _TITLE_KINDS] or terms
        ctx_terms = [t for t in asked_terms(query.context, entity) if t not in terms] if query.context else []
        if not terms and not ctx_terms and not query.regions and not query.years:
            return Answer(
                answer="没有看懂要查询的内容，请具体说明想了解哪份报告的什么情况，例如某单位某年办理了多少件行政复议案件。",
                answerable=False,
                contexts=contexts,
                reason="no content words in the question",
            )
        meta_answer = self._metadata_answer(query, data, terms)
        if meta_answer:
            meta_answer.contexts = contexts
            return meta_answer
        if query.compare and len(query.report_ids) > 1:
            ans = self._compare(query, hits, data, terms, ctx_terms, weights)
        else:
            ans = self._single(query, hits, data, terms, ctx_terms, weights)
        ans.contexts = contexts
        ans.resolved_question = query.text if query.text != query.question else None
        return ans

    # ------------------------------------------------------------------ refusals from metadata
    def metadata_refusal(self, query: Query, data: IndexData) -> str | None:
        if query.unknown_regions and not query.report_ids:
            name = query.unknown_regions[0]
            mentioned = [r for r in data.reports.values() if name in r.text]
            if not mentioned:
                return f"现有报告中没有关于{name}的内容，无法回答。现有报告包括：{self._catalog(data)}。"
            query.report_ids = [r.meta.report_id for r in mentioned]
        if query.uncovered_years and query.report_ids:
            reps = [data.reports[r] for r in query.report_ids if r in data.reports]
            for y in query.uncovered_years:
                if not any(f"{y}年" in r.text for r in reps):
                    have = "；".join(
                        f"{r.meta.short_name.removesuffix('报告')}报告只覆盖{self._years(r.meta.years)}" for r in reps
                    )
                    return f"报告中没有{y}年的相关内容：现有的{have}。"
        return None

    def _catalog(self, data: IndexData) -> str:
        """The reports there are, by short name, for a refusal (built once per index generation)."""
        if self._catalog_of != data.generation:
            names = sorted({r.meta.short_name for r in data.reports.values()})
            shown = "、".join(names[:_CATALOG_SHOWN])
            self._catalog_text = shown if len(names) <= _CATALOG_SHOWN else f"{shown}等{len(names)}份报告"
            self._catalog_of = data.generation
        return self._catalog_text

    @staticmethod
    def _years(years: Sequence[int]) -> str:
        if not years:
            return "未注明年份"
        return f"{years[0]}年" if len(years) == 1 else f"{years[0]}—{years[-1]}年"

    def _metadata_answer(self, query: Query, data: IndexData, terms: list[str]) -> Answer | None:
        """Questions about a report itself (when it was published) are answered from its metadata."""
        if query.qtype != "when" or len(query.report_ids) != 1:
            return None
        if "报告" not in query.focus or not re.search(r"发|公布|日期|哪天", query.focus):
            return None
        rec = data.reports.get(query.report_ids[0])
        if not rec or not rec.meta.published or not rec.meta.published_span:
            return None
        a, b = rec.meta.published_span
        cit = rec.cite(a, b, [])
        return Answer(
            answer=f"《{rec.meta.title}》的发布日期是{rec.meta.published}[1]。",
            answerable=True,
            citations=[cit],
        )

    # ------------------------------------------------------------------ scoring
    def _term_weights(self, data: IndexData) -> TermWeights:
        if self._weights is None or self._weights.generation != data.generation:
            self._weights = TermWeights(data)
        return self._weights

    @staticmethod
    def _entity_words(query: Query, data: IndexData) -> list[str]:
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
        return ent

    def _candidates(
        self,
        query: Query,
        hits: Sequence[Hit],
        terms: list[str],
        ctx_terms: list[str],
        weights: TermWeights,
    ) -> list[Candidate]:
        wts = {t: weights.idf(t) for t in terms}
        cwts = {t: 0.35 * weights.idf(t) for t in ctx_terms}
        total = sum(wts.values()) + sum(cwts.values()) or 1.0
        q_numbers = {n for n, _u, _a, _b in numbers_in(normalize(arabic(query.question)))}
        year_terms = [f"{y}年" for y in query.uncovered_years]
        # the rarest asked term that the reports use at all: a typed answer must be about it
        present = [t for t in terms if weights.df(t) > 0 and is_nounish(t)]
        numeric = query.qtype in ("count", "percent", "amount")
        title_verb = _title_verb(query) if query.qtype == "name" else None
        plans = bool(_ASPIRATION.search(query.focus) or re.search(r"计划|打算|目标|下一步|明年|准备", query.focus))
        rarest = max(present, key=lambda t: wts[t]) if present else None
        key = rarest if numeric else None
        out: list[Candidate] = []
        for rank, h in enumerate(hits):
            head = normalize(" ".join(h.chunk.section_path))
            for s, e in sentence_spans(h.chunk.text):
                sent = normalize(h.chunk.text[s:e])
                got = 0.0
                matched = []
                for t, w in list(wts.items()) + list(cwts.items()):
                    m = max(term_match(t, sent), 0.8 * term_match(t, head))
                    got += w * m
                    if m >= 0.9:
                        matched.append(t)
                cov = got / total
                if key and max(term_match(key, sent), term_match(key, head)) < 0.7:
                    cov *= 0.5
                if year_terms and not any(y in sent or y in head for y in year_terms):
                    cov = 0.0  # the asked year is not the report's: only text about that year answers
                c = Candidate(rank, h.chunk, s, e, coverage=cov, matched=matched)
                c.key_ok = rarest is None or max(term_match(rarest, sent), term_match(rarest, head)) >= 0.7
                c.type_ok = self._type_ok(query, sent, q_numbers)
                bonus = 0.3 if c.type_ok else 0.0
                if c.type_ok and query.asks > 1:
                    found = {n for n, u, _a, _b in numbers_in(sent) if u and n not in q_numbers}
                    bonus = 0.3 if len(found) >= query.asks else 0.15
                if _ASPIRATION.search(sent) and not plans:
                    bonus -= 0.15  # a target ("力争…达到95%") is not what was done
                if title_verb and re.search(title_verb, sent):
                    bonus += 0.2  # "按哪个文件" → "根据《…》"; "出了什么制度" → "制订《…》"
                if h.chunk.section_path and _is_heading_echo(sent, h.chunk.section_path[-1]):
                    bonus -= 0.25  # the section's own title says what it is about, not what was done
                c.score = cov + bonus + 0.06 / (1 + rank)
                out.append(c)
        out.sort(key=lambda c: -c.score)
        return out

    def _type_ok(self, query: Query, sent: str, q_numbers: set[str]) -> bool:
        qt = query.qtype
        if qt in ("count", "percent", "amount", "compare") and qt != "compare":
            for num, unit, a, _b in numbers_in(sent):
                if num in q_numbers:
                    continue
                if not sent[a].isdigit() and not query.unit:
                    continue  # a count in words ("两个窗口") is prose; it answers only a question asking that unit
                if qt == "percent" and unit == "%":
                    return True
                if qt == "amount" and unit in ("万元", "亿元", "元", "万"):
                    return True
                if qt == "count" and unit and (unit_ok(unit, query.unit) if query.unit else True):
                    return True
                if qt == "count" and not unit and not query.unit and "." in num:
                    return True  # a score or an index with no unit ("平均分99.99")
            return False
        if qt == "when":
            return bool(_DATE.search(sent))
        if qt == "name":
            return bool(re.search(r"《[^》]{2,60}》|“[^”]{2,30}”|\"[^\"]{2,30}\"", sent))
        if qt == "rank":
            return bool(
                re.search(r"第[一二三四五六七八九十\d]+|前[一二三四五六七八九十\d]+名|名列|居.{0,4}(首|前)", sent)
            )
        if qt == "who":
            person = bool(
                re.search(r"谁|(局长|组长|主任|书记|负责人|领导|讲师|专家|律师).{0,4}(叫什么|名字|姓名)", query.focus)
                or re.search(r"哪些(领导|人|同志|专家)|哪位", query.focus)
            )
            return self._has_name(sent, person_only=person)
        if qt == "list":
            return (
                bool(_ENUM.search(sent))
                or sent.count("、") >= 2
                or "；" in sent
                or ";" in sent
                or len(re.findall(r"[—+＋/]", sent)) >= 2
            )
        return True

    @staticmethod
    def _has_name(sent: str, person_only: bool = False) -> bool:
        """A person's name (jieba 'nr'), or unless only a person will do, an organisation's name."""
        import jieba.posseg as pseg

        people = [p.word for p in pseg.cut(sent) if p.flag == "nr" and 2 <= len(p.word) <= 3]
        if people or any(_looks_like_name(m.group(1)) for m in _ROLE_NAME.finditer(sent)):
            return True
        if person_only:
            return False
        return bool(_ORG.search(sent) and re.search(r"事务所|大学|公司|中心|委员会|办公室|[局处科院所]", sent))

    # ------------------------------------------------------------------ one report (or no report named)
    def _single(
        self,
        query: Query,
        hits: Sequence[Hit],
        data: IndexData,
        terms: list[str],
        ctx_terms: list[str],
        weights: TermWeights,
    ) -> Answer:
        if query.qtype == "list":
            listed = self._section_list(query, hits, data, terms, weights)
            if listed:
                return listed
        cands = self._candidates(query, hits, terms, ctx_terms, weights)
        if not cands:
            return self._refuse(query, hits, data, None)
        best = cands[0]
        accept = self._acceptor(query, hits, terms, ctx_terms, cands)
        if not accept(best):
            # the best sentence holding the asked kind of fact, if the best overall does not answer
            # (the coverage thresholds take the first such sentence that passes them, as they always did)
            alt = next((c for c in cands if c is not best and c.type_ok and (self.gate or accept(c))), None)
            if alt is None or not accept(alt):
                return self._refuse(query, hits, data, best)
            best = alt
        if query.qtype == "list":
            if re.search(r"以下|如下|下列", best.text):
                rec = data.reports[best.chunk.report_id]
                announced = self._children_answer(rec, best.chunk.section_path)
                if announced:
                    return announced
            pieces = self._list_pieces(best, data)
            if not pieces:
                whole = self._tighten(self._trim(Piece(best.chunk, best.start, best.end)), query, terms, weights)
                pieces = [whole if len(whole.text) <= 70 else self._narrow(best, query, terms, weights, ctx_terms)]
        else:
            pieces = [self._tighten(self._narrow(best, query, terms, weights, ctx_terms), query, terms, weights)]
            nxt_cont = self._next_sentence(best) if query.qtype == "how" else None
            if (
                nxt_cont
                and re.match(r"\s*(同时|此外|另外|并且|并|还)", nxt_cont.text)
                and (len(pieces[0].text) + len(nxt_cont.text) <= 100)
            ):
                pieces.append(nxt_cont)
            elif query.qtype == "how" and len(pieces[0].text) < 20:
                nxt = self._next_sentence(best)
                if nxt:
                    # "为啥…": the sentence after a short statement gives the reason; it is the answer
                    why = re.search(r"为啥|为什么|原因|怎么会", query.focus) and re.search(
                        r"由于|因为|受.{1,8}影响|导致", nxt.text
                    )
                    pieces = [nxt] if why else [*pieces, nxt]
        return self._compose(query, data, pieces)

    def _acceptor(
        self, query: Query, hits: Sequence[Hit], terms: list[str], ctx_terms: list[str], cands: list[Candidate]
    ) -> Callable[[Candidate], bool]:
        """Whether a candidate sentence answers: the fitted gate, else the coverage thresholds."""
        if not terms and not ctx_terms:
            return lambda c: True
        if self.gate is None:
            threshold = self.min_coverage if query.qtype in _TYPED else self.min_coverage_fact
            return lambda c: c.coverage >= threshold and (query.qtype not in _TYPED or c.type_ok)
        gate = self.gate
        n_terms = max(1, len(terms) + len(ctx_terms))

        def features(c: Candidate) -> list[float]:
            ranks = hits[c.hit_rank].ranks if c.hit_rank < len(hits) else {}
            i = cands.index(c)
            nxt = cands[i + 1].score if i + 1 < len(cands) else 0.0
            return [
                min(1.0, c.coverage),
                float(c.type_ok or query.qtype not in _TYPED),
                float(query.qtype in _TYPED),
                len(c.matched) / n_terms,
                float(c.key_ok),
                1 / (1 + c.hit_rank),
                1 / (1 + ranks["dense"]) if "dense" in ranks else 0.0,
                1 / (1 + ranks["bm25"]) if "bm25" in ranks else 0.0,
                max(0.0, min(1.0, c.score - nxt)),
                float(bool(query.report_ids)),
            ]

        def accept(c: Candidate) -> bool:
            x = features(c)
            if self.trace is not None:
                self.trace.append({"features": x, "chunk": c.chunk, "start": c.start, "end": c.end})
            return gate.accept(x)

        return accept

    def _tighten(self, piece: Piece, query: Query, terms: Sequence[str], weights: TermWeights | None = None) -> Piece:
        """Drop edge clauses that hold neither an asked term (outside a cited title) nor the asked fact."""
        if len(piece.text) <= 50 or not terms:
            return piece
        if query.qtype not in _TYPED and query.qtype != "list" and len(piece.text) <= 80:
            return piece  # an explanation keeps its context
        text = piece.chunk.text
        clauses = self._clauses(text, piece.start, piece.end)
        if len(clauses) < 2:
            return piece
        q_numbers = {n for n, _u, _a, _b in numbers_in(normalize(arabic(query.question)))}

        strong = list(terms)
        if weights is not None and len(terms) > 2:
            ranked = sorted(terms, key=weights.idf)
            strong = ranked[len(ranked) // 3 :]  # the commonest asked words cannot hold a clause alone

        def essential(a: int, b: int) -> bool:
            seg = normalize(text[a:b])
            scope = re.sub(r"《[^》]*》", "《》", seg)
            if any(term_match(t, scope) >= 0.8 for t in strong):
                return True
            return query.qtype in _TYPED and self._type_ok(query, seg, q_numbers)

        keep = [i for i, (a, b) in enumerate(clauses) if essential(a, b)]
        if not keep:
            return piece
        while (
            query.qtype == "how" and keep[0] > 0 and _RESULT_VERB.match(text[clauses[keep[0]][0] : clauses[keep[0]][1]])
        ):
            keep.insert(0, keep[0] - 1)  # the means said just before a result belong to the answer
        return self._trim(Piece(piece.chunk, clauses[keep[0]][0], clauses[keep[-1]][1]))

    @staticmethod
    def _next_sentence(cand: Candidate) -> Piece | None:
        """The sentence after a candidate in the same chunk (the reason that follows a short statement)."""
        for s, e in sentence_spans(cand.chunk.text):
            if s >= cand.end:
                return Piece(cand.chunk, s, e) if e - s <= 120 else None
        return None

    def _compare(
        self,
        query: Query,
        hits: Sequence[Hit],
        data: IndexData,
        terms: list[str],
        ctx_terms: list[str],
        weights: TermWeights,
    ) -> Answer:
        pieces: list[Piece] = []
        missing: list[str] = []
        for rid in query.report_ids:
            sub = [h for h in hits if h.chunk.report_id == rid]
            cands = self._candidates(query, sub, terms, ctx_terms, weights)
            # the report is named and the fact type must match: a lower coverage bar than for open questions
            typed = [c for c in cands if c.coverage >= 0.45 * self.min_coverage_fact and c.type_ok]
            if typed:
                pieces.append(self._tighten(self._narrow(typed[0], query, terms, weights), query, terms, weights))
            else:
                missing.append(data.reports[rid].meta.short_name)
        if not pieces:
            return self._refuse(query, hits, data, None)
        ans = self._compose(query, data, pieces)
        if missing:
            ans.answer += f"（{'、'.join(missing)}中没有找到相应内容。）"
        return ans

    # ------------------------------------------------------------------ narrowing and lists
    def _clauses(self, text: str, start: int, end: int, breaks: set[str] = _CLAUSE_BREAK) -> list[tuple[int, int]]:
        """Clause spans of text[start:end], cut at commas/semicolons/colons outside brackets and quotes."""
        out: list[tuple[int, int]] = []
        depth = 0
        a = start
        for i in range(start, end):
            ch = text[i]
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth = max(depth - 1, 0)
            elif ch in breaks and depth == 0:
                if i > a:
                    out.append((a, i))
                a = i + 1
        if end > a:
            out.append((a, end))
        return [(s, e) for s, e in out if text[s:e].strip()]

    def _narrow(
        self,
        cand: Candidate,
        query: Query,
        terms: list[str],
        weights: TermWeights | None = None,
        ctx_terms: Sequence[str] = (),
    ) -> Piece:
        """The shortest run of clauses of the sentence that keeps the asked terms and the asked fact."""
        text = cand.chunk.text
        breaks = _CLAUSE_BREAK | ({"、"} if query.qtype in ("count", "percent", "amount") else set())
        clauses = self._clauses(text, cand.start, cand.end, breaks)
        if len(clauses) <= 1 or cand.end - cand.start <= 45:
            return self._trim(Piece(cand.chunk, cand.start, cand.end))
        q_numbers = {n for n, _u, _a, _b in numbers_in(normalize(arabic(query.question)))}
        negated = negated_terms(query.focus)
        terms = [t for t in terms if t not in negated]
        title_verb = _title_verb(query) if query.qtype == "name" else None
        wts = {t: (weights.idf(t) if weights else 1.0) for t in terms}
        for t in ctx_terms:
            if t not in wts:
                wts[t] = 0.35 * (weights.idf(t) if weights else 1.0)
        total = sum(wts.values()) or 1.0
        windows: list[tuple[float, bool, int, int]] = []
        for i in range(len(clauses)):
            for j in range(i, min(i + 4, len(clauses))):
                a, b = clauses[i][0], clauses[j][1]
                seg = normalize(text[a:b])
                # words inside a cited title (《…》) are weaker evidence than the sentence's own words
                scope = re.sub(r"《[^》]*》", "《》", seg)
                cov = (
                    sum(w * max(term_match(t, scope), 0.6 * term_match(t, seg)) for t, w in wts.items()) / total
                    if wts
                    else 0.0
                )
                if negated and any(n in seg for n in negated):
                    cov -= 0.3
                ok = self._type_ok(query, seg, q_numbers)
                if ok and query.asks > 1:
                    ok = len({n for n, u, _a, _b in numbers_in(seg) if u and n not in q_numbers}) >= query.asks
                if query.qtype == "list":
                    cov += min(0.3, 0.05 * seg.count("、"))  # a list answer is the run of enumerated items
                if title_verb and re.search(title_verb, seg):
                    cov += 0.3
                windows.append((cov, ok, a, b))
        pool = [w for w in windows if w[1]] or windows
        # the most coverage for the fewest characters: a clause must earn its length
        lam = 0.006 if query.qtype in _TYPED else 0.004
        _, _, a, b = max(pool, key=lambda w: (w[0] - lam * (w[3] - w[2]), -w[2]))
        if query.qtype in ("how", "fact", "yesno") and not query.compare:
            # the answer to "how/why" sits around the matched words: widen it to a readable clause run
            i = next(k for k, c in enumerate(clauses) if c[0] == a)
            j = next(k for k, c in enumerate(clauses) if c[1] == b)
            # a result ("杜绝了…", "实现了…") is explained by what comes before it; a name by what follows
            left_first = query.qtype == "how" and bool(_RESULT_VERB.match(text[a:b]))
            want = 55 if query.qtype == "how" else 30
            while (i > 0 or j < len(clauses) - 1) and clauses[j][1] - clauses[i][0] < want:
                if i > 0 and (
                    j == len(clauses) - 1
                    or left_first
                    or clauses[i][1] - clauses[i - 1][0] <= clauses[j + 1][1] - clauses[j][0]
                ):
                    i -= 1
                elif j < len(clauses) - 1:
                    j += 1
            if left_first and i > 0 and clauses[j][1] - clauses[i - 1][0] <= 100:
                i -= 1
            if clauses[j][1] - clauses[i][0] <= 100:
                a, b = clauses[i][0], clauses[j][1]
        # keep a clause that opens with 其中/其/另 together with the one it refers to
        idx = next(k for k, c in enumerate(clauses) if c[0] == a)
        if idx > 0 and re.match(r"^(其中|其|另|分别|均|共|累计|占)", text[a:b]):
            a = clauses[idx - 1][0]
        return self._trim(Piece(cand.chunk, a, b))

    @staticmethod
    def _trim(p: Piece) -> Piece:
        t = p.chunk.text
        a, b = p.start, p.end
        while a < b and (t[a].isspace() or t[a] in "，,；;：:、"):
            a += 1
        while b > a and (t[b - 1].isspace() or t[b - 1] in "，,；;：:、。"):
            b -= 1
        return Piece(p.chunk, a, b)

    def _section_list(
        self, query: Query, hits: Sequence[Hit], data: IndexData, terms: list[str], weights: TermWeights
    ) -> Answer | None:
        """A list question whose answer is a section: its sub-headings, or the 一是/二是 items of its text."""
        if not terms:
            return None
        rids = query.report_ids or list(dict.fromkeys(h.chunk.report_id for h in hits[:3]))
        wts = {t: weights.idf(t) for t in terms}
        total = sum(wts.values()) or 1.0
        years = [f"{y}年" for y in query.uncovered_years]
        best: tuple[float, str, list[str]] | None = None
        for rid in rids:
            rec = data.reports.get(rid)
            if rec is None:
                continue
            for sec in rec.sections:
                path = sec["path"]
                head = normalize(_strip_numbering(path[-1]))
                cov = sum(w * term_match(t, head) for t, w in wts.items()) / total
                if years and not any(y in rec.text[sec["start"] : sec["end"]] for y in years):
                    continue
                score = cov - 0.002 * len(head)
                if best is None or score > best[0] + 1e-9:
                    best = (score, rid, path)
        if best is None or best[0] < 0.55:
            return None
        _, rid, path = best
        rec = data.reports[rid]
        announced = self._children_answer(rec, path)
        if announced:
            return announced
        citations: list[Citation] = []
        items: list[str] = []
        if True:
            own = [c for c in data.chunks if c.report_id == rid and c.section_path == path]
            if not own:
                return None
            cand = Candidate(0, own[0], 0, len(own[0].text))
            pieces = self._list_pieces(cand, data)
            if not pieces:
                return None
            for p in pieces:
                citations.append(self._cite(data, p))
                items.append(f"{p.text}[{len(citations)}]")
        if not items:
            return None
        body = "；".join(items)
        return Answer(
            answer=f"根据{rec.meta.short_name}，“{_strip_numbering(path[-1])}”包括：{body}。",
            answerable=True,
            citations=citations,
        )

    def _children_answer(self, rec: ReportRecord, path: list[str]) -> Answer | None:
        """List the sub-sections of a section: their headings, each cited at its heading line."""
        children = [c for c in rec.sections if len(c["path"]) == len(path) + 1 and c["path"][:-1] == path]
        if len(children) < 2:
            return None
        citations: list[Citation] = []
        items: list[str] = []
        for c in children[:10]:
            a = c["start"]
            line_end = rec.text.find("\n", a, c["end"])
            b = line_end if line_end > 0 else c["end"]
            # cite the heading line and the first sentence of its text: what the item stands for
            stop = re.search(r"[。；;]", rec.text[b + 1 : c["end"]]) if b < c["end"] else None
            if stop and stop.start() < 150:
                b = b + 1 + stop.start() + 1
            elif (inline := re.search(r"[。；;]", rec.text[a:b])) is not None:
                b = a + inline.start() + 1
            citations.append(self._span_citation(rec, a, b, c["path"]))
            items.append(f"{_strip_numbering(c['path'][-1])}[{len(citations)}]")
        title = _strip_numbering(path[-1]) if path else rec.meta.title
        return Answer(
            answer=f"根据{rec.meta.short_name}，“{title}”包括：{'；'.join(items)}。",
            answerable=True,
            citations=citations,
        )

    def _span_citation(self, rec: object, a: int, b: int, path: list[str]) -> Citation:
        from bot.store import ReportRecord

        assert isinstance(rec, ReportRecord)
        while a < b and rec.text[a] in " \t#*":
            a += 1
        return rec.cite(a, b, path)

    def _list_pieces(self, cand: Candidate, data: IndexData) -> list[Piece]:
        """Items of an enumeration: 一是…二是… leads, or the sentence itself when it lists with 、."""
        text = cand.chunk.text
        # 一是/二是 leads across the chunk (the sentence may be one of several items)
        leads = list(re.finditer(r"(?:^|[。；;！\n:：,，])\s*([一二三四五六七八九十]是)", text))
        inside = [m for m in leads if cand.start <= m.start(1) < cand.end]
        if len(leads) >= 2 and inside:
            pieces = []
            for m in leads:
                s = m.start(1)
                stop = re.search(r"[。；;，,:：]", text[s:])
                e = s + (stop.start() if stop else len(text) - s)
                pieces.append(Piece(cand.chunk, s, e))
            return pieces[:8]
        # "主要表现为：A，…；B，…；C…" — the items after a colon, separated by semicolons
        lo = 0 if cand.start == 0 else max(0, text.rfind("。", 0, cand.start) + 1)
        for m in re.finditer(r"[：:]([^。：:]*[；;][^。：:]*)(?:。|$)", text[lo:]):
            body_start, e = lo + m.start(1), lo + m.end(1)
            parts = [p for p in re.split(r"[；;]", text[body_start:e]) if p.strip()]
            if len(parts) >= 2:
                pieces, pos = [], body_start
                for part in parts:
                    ps = text.find(part, pos)
                    clause = re.split(r"[，,]", part)[0]
                    pieces.append(self._trim(Piece(cand.chunk, ps, ps + len(clause))))
                    pos = ps + len(part)
                return pieces[:8]
        return []

    # ------------------------------------------------------------------ composing
    def _cite(self, data: IndexData, p: Piece) -> Citation:
        start, end = p.chunk.orig_span(p.start, p.end)
        return data.reports[p.chunk.report_id].cite(start, end, p.chunk.section_path)

    def _compose(self, query: Query, data: IndexData, pieces: list[Piece]) -> Answer:
        citations: list[Citation] = []
        by_report: dict[str, list[tuple[str, int]]] = {}
        for p in pieces:
            cit = self._cite(data, p)
            key = (cit.source, cit.start, cit.end)
            n = next(
                (i + 1 for i, c in enumerate(citations) if (c.source, c.start, c.end) == key),
                None,
            )
            if n is None:
                citations.append(cit)
                n = len(citations)
            by_report.setdefault(p.chunk.report_id, []).append((p.text, n))
        parts = []
        for rid, items in by_report.items():
            name = data.reports[rid].meta.short_name
            body = "；".join(f"{t}[{n}]" for t, n in items)
            parts.append(f"根据{name}，{body}")
        return Answer(answer="；".join(parts) + "。", answerable=True, citations=citations)

    def _refuse(self, query: Query, hits: Sequence[Hit], data: IndexData, best: Candidate | None) -> Answer:
        """Say plainly that the reports do not answer, and what the closest passage says.

        The sentence is fixed wording chosen by the kind of fact asked; the user's words are never pasted
        into it (they may be ungrammatical there, or an instruction).
        """
        kind = _REFUSAL_KIND.get(query.qtype, "内容")
        if best is None:
            return Answer(answer=f"报告中没有找到能回答这个问题的{kind}。", answerable=False, reason="no evidence")
        piece = self._narrow(best, query, [])
        if len(piece.text) < 12:  # a clause this short says nothing on its own: show the sentence
            piece = self._trim(Piece(best.chunk, best.start, best.end))
        cit = self._cite(data, piece)
        snippet = piece.text if len(piece.text) <= 60 else piece.text[:60] + "…"
        name = data.reports[best.chunk.report_id].meta.short_name
        return Answer(
            answer=f"报告中没有找到能直接回答这个问题的{kind}。最接近的是{name}中的这一句：“{snippet}”[1]。",
            answerable=False,
            citations=[cit],
            reason=f"best evidence coverage {best.coverage:.2f}, fact type {'found' if best.type_ok else 'missing'}",
        )


# what a refusal says is missing, by the kind of fact asked
_REFUSAL_KIND = {
    "count": "具体数字",
    "percent": "具体比例",
    "amount": "具体金额",
    "who": "具体名称",
    "name": "具体名称",
    "when": "具体时间",
    "rank": "排名",
}
