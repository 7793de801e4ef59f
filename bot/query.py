"""Query understanding: which reports a question is about, what kind of fact it asks for, and follow-ups.

Region, year and issuer mentions are matched against the ingested metadata (never a hard-coded list), so a
new report's districts are understood as soon as it is ingested.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.injection import strip_instructions
from bot.orgs import TOWN_LEVELS, TOWN_NAME, body_named_at, bureau_kind, town_of_issuer
from bot.text import places
from bot.text.analysis import add_words, normalize, word_at
from bot.text.divisions import PlaceMatch
from bot.text.gazetteer import Gazetteer
from bot.text.numerals import MEASURES, arabic
from bot.types import HistoryTurn, ReportMeta

QType = Literal["count", "percent", "amount", "who", "when", "name", "rank", "list", "yesno", "how", "compare", "fact"]

_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
# a question word: a follow-up without one ("那会办的呢？") asks what the question before it asked
_ASKS = re.compile(r"多少|几|什么|啥|哪|谁|怎么|怎样|如何|吗|是否|有没有|为什么|为何|比例|占比|排名|第几")
# a town or street the question names, at its start or right after a county ("鲤城区开元街道2022年…")
_TOWN = re.compile(
    rf"(?:^|(?<=[区县市]))({TOWN_NAME})(?=\d|的|人民政府|政府|办事处|那|这|在|有|[，,？?\s]|年|关于|法治|依法|今年|去年)"
)
_FOLLOWUP_SUB = re.compile(
    r"^(?:那|那么|那个|还有|换成|再看看?)?\s*(.{1,20}?)\s*(?:呢|的呢|怎么样|如何)\s*[？?。!！]*$"
)
_ANAPHORA = re.compile(r"^(?:那|那么)?\s*(其中|这些|这个|这项|这部|这里|那些|他们|它们|该|上述|此|其|这|那)")
_COMPARE = re.compile(
    r"比较|对比|相比|哪个多|哪个少|哪家|谁.*[多少]|哪.*[多少高低]|哪边|更多|更少|更高|更低|分别|各有|各是|各[自个]|都"
)
_LIST = re.compile(
    r"哪些|哪几|有什么|有啥|包括|包含|列举|几个方面|几条|哪五|哪三|哪四|哪两|都有|都公开|干什么|做哪|哪几件"
)
# ("这几份报告", "那几个区" point at things: no count is asked)
_COUNT = re.compile(
    r"多少|(?<![这那])几\s*个?\s*(?:" + "|".join(map(re.escape, MEASURES)) + r")|几$|几？|数量|总数|一共|共计|合计"
)
# the numbers themselves asked for ("有啥数字", "哪些数据"): a count, not a list of things
_NUMBERS_ASKED = re.compile(r"(?:什么|啥|哪些|具体)(?:数字|数据)")
_PERCENT = re.compile(r"比例|比率|百分|占比|率|%|多高")
# (the last alternative: what 多少 counts is money, with no measure word between)
_AMOUNT = re.compile(
    r"多少钱|金额|资金|经费|预算|万元|收入|支出|[0-9]元"
    r"|多少(?![个家名人位件项次户宗起])[\u4e00-\u9fa5]{0,2}?(?:钱|工资|薪|款|费用?|补贴|补助|奖金|罚金)"
)
_WHO = re.compile(r"谁|哪位|什么人|名字|叫什么|姓名|哪家|哪个单位|什么单位|哪个部门|什么部门|哪个科|哪个处|律所|事务所")
_WHEN = re.compile(r"什么时候|何时|哪天|哪一天|哪年|哪一年|日期|几月|几号|时间")
_NAME = re.compile(
    r"(哪个|哪部|哪份|什么|哪一?项)(文件|制度|办法|规定|通知|意见|方案|细则|手册|条例|规章|规范性文件|名字|名称|平台|系统|机制|模式|品牌|活动|主题)"
    r"|叫什么|名字|名称|哪部|主题|文号|字号"
)
_RANK = re.compile(r"第几|排名|排第|名次")
_HOW = re.compile(r"怎么|如何|怎样|为啥|为什么|原因|干嘛|干什么用|做法|措施|办法是")
_PEOPLE = re.compile(r"(哪些|哪几位|哪位)(领导|人|同志|专家|人员)")
_YESNO = re.compile(r"是否|有没有|是不是|能不能|会不会|吗[？?]*$|没有[？?]*$")

# a question about the places inside the one it names ("武汉各区", "全市各区县", "下辖")
# a question across the reports themselves, no report named: "哪个区…最多", "各局分别…", "这几份报告里哪份…"
_SURVEY = re.compile(
    r"哪(?:一|几)?(?:个|份|家)?(?:区|县|市|局|单位|地方|报告)"
    r"|哪家(?=的|[最更多少高低]|[？?]|$)"
    r"|各(?:个|家|份)?(?:区|县|市|局|单位|地方?|报告)"
    r"|(?:这|那)?(?:几|些|两|三|四|五|所有|全部|每一?)(?:个|份|家)?(?:报告|区|局|单位)(?:里|中|之间|当中)"
    r"|(?:这|那)(?:几|些|两|三|四|五)(?:个|份|家)(?:里头|里面|里|中|当中|之间)"  # "这几份里头"
)
_ACROSS = re.compile(r"各(?:个)?(?:区|县|市|州|地|盟|旗)|区县|县区|县市区|所辖|下辖|辖区内")

# the measure word a count asks for ("多少张", "几个工作日"): any of bot.text.numerals.MEASURES, the longest first
_MEASURE_ALT = "|".join(map(re.escape, MEASURES))
_UNIT = re.compile(
    rf"(?<![这那])几\s*个?\s*({_MEASURE_ALT})|多少\s*个?\s*({_MEASURE_ALT}|万)|(?:(?<![这那])几|多少)\s*(个)"
)


# a follow-up pointing at an item of the answer before it: "第一个是怎么造成的？", "第二条呢", "最后一点"
_ORDINAL = re.compile(r"第\s*([一二三四五六七八九十\d]{1,2})\s*(?:个|条|项|点|件|种|类|是)|最后一?\s*(?:个|条|项|点)")
# where the items of an answer begin: "一是…", "二是…", "；", "（一）", "1."
_ITEM_BREAK = re.compile(
    r"[；;。]|(?<![\d一二三四五六七八九十])[一二三四五六七八九十]是|（[一二三四五六七八九十]）|(?<!\d)\d[.、．]"
)


def _ordinal_resolved(q: str, history: Sequence[HistoryTurn]) -> str:
    """The question with its "第一个" written as that item of the previous answer ("劳动仲裁案件积压较多是怎么造成
    的？"), so that the item's words are asked and retrieved; the question itself when it points at none."""
    m = _ORDINAL.search(q)
    answer = next((t.content for t in reversed(history) if t.role == "assistant" and t.content.strip()), "")
    if not m or not answer:
        return q
    items = [x.strip(" ，,、：:") for x in _ITEM_BREAK.split(re.sub(r"\[\d+\]", "", answer))]
    items = [x for x in items if len(x) >= 2]
    if not items:
        return q
    if m.group(1):
        digits = m.group(1) if m.group(1).isdigit() else re.sub(r"\D", "", arabic(m.group(1) + "个"))
        n = int(digits or 0)
        if not 1 <= n <= len(items):
            return q
        item = items[n - 1]
    else:
        item = items[-1]
    return q[: m.start()] + strip_instructions(item) + q[m.end() :]


@dataclass
class Query:
    """A question made explicit: its text, what it refers to, and what kind of answer it wants."""

    question: str
    text: str  # the resolved question used for retrieval
    focus: str  # the part that states what is asked (the question itself for a follow-up)
    qtype: QType
    unit: str | None = None
    report_ids: list[str] = field(default_factory=list)  # reports the question names (filter)
    regions: list[str] = field(default_factory=list)  # place names mentioned
    unknown_regions: list[str] = field(default_factory=list)  # mentioned but no report covers them
    years: list[int] = field(default_factory=list)
    uncovered_years: list[int] = field(default_factory=list)  # named years no matched report covers
    context: str = ""  # the previous question, for follow-ups
    compare: bool = False
    survey: bool = False  # asks across the collection with no report named: each report that answers
    asks: int = 1  # how many numbers the question asks for ("办了多少期，培训了多少人" → 2)
    named: bool = False  # the question (or the one it follows) names its one report by place or issuer


def classify(q: str) -> tuple[QType, str | None]:
    qn = normalize(q)
    unit = None
    m = _UNIT.search(qn)
    if m:
        unit = m.group(1) or m.group(2) or m.group(3)
        at = next(i for i in (1, 2, 3) if m.group(i))
        if word_at(qn, m.start(at)) not in (unit, None):
            unit = None  # "多少人大建议": 人 begins the word 人大, it is no measure word
    if _WHEN.search(qn) and not _COUNT.search(qn):
        return "when", unit
    if _RANK.search(qn):
        return "rank", unit
    if re.search(r"(局长|组长|主任|书记|负责人|领导|讲师|专家|律师).{0,4}(叫什么|是谁|名字|姓名)|谁", qn):
        return "who", unit
    if _PEOPLE.search(qn):
        return "who", unit
    if _PERCENT.search(qn) and not re.search(r"率[先领]", qn):
        return "percent", unit
    if _AMOUNT.search(qn) and _COUNT.search(qn) and unit in (None, "元", "万元", "亿元", "万"):
        return "amount", unit  # ("预决算信息占几条" counts items: its measure word says what is counted)
    if re.search(r"哪些|哪几|哪[两三四五六七八九十\d]", qn) and not _NUMBERS_ASKED.search(qn):
        return "list", unit
    if _COUNT.search(qn) or _NUMBERS_ASKED.search(qn):
        return "count", unit
    if re.search(r"吗[？?]*$", qn) and not re.search(r"什么|啥|哪", qn):
        return "yesno", unit  # a closing 吗 asks yes or no ("两个区都有…吗"), whatever else the words suggest
    if _LIST.search(qn):
        return "list", unit
    if _NAME.search(qn):
        return "name", unit
    if _WHO.search(qn):
        return "who", unit
    if _HOW.search(qn):
        return "how", unit
    if _YESNO.search(qn):
        return "yesno", unit
    return "fact", unit


def _short_named(text: str) -> list[str]:
    """Divisions named by their short name where the words after it show it is a place ("天津的", "天河区人社局"
    are caught as full names already; "天津人社局", "天河那边" here). Short names alone are often ordinary words."""
    from bot.text.gazetteer import Gazetteer

    out = []
    for m in Gazetteer.default().find(text, short_names=True):
        if m.short and len(m.text) >= 2 and re.match(r"的|那边|这边|人社|人力|[市区县省]", text[m.end : m.end + 2]):
            out.append(m.candidates[0].name)
    return out


def _name_like(stem: str) -> bool:
    """Two characters that could be a place's name: not a verb, pronoun, number… by jieba's tags ("下辖")."""
    import jieba.posseg as pseg

    return not any(
        w.flag.startswith(("v", "a", "p", "r", "d", "c", "u", "m", "q", "f", "t", "s")) for w in pseg.lcut(stem)
    )


def _town_like(name: str) -> bool:
    """A town or street's name, not a question about towns ("有没有街道的报告", "哪个镇…"): its stem does not open
    with an A-not-A question (有没有, 是不是) or a pronoun (哪个, 这个) by jieba's tags."""
    import jieba.posseg as pseg

    stem = name.removesuffix("街道").rstrip("镇乡")
    if not stem or re.match(r"(.)[没不]\1", stem):
        return False
    first = pseg.lcut(stem)[0]
    return not first.flag.startswith("r")


@dataclass
class _NamedPlace:
    """A catalogue place named in a question: as written (with the places before it), the reports that agree
    with those places, and the body named right after it ("政府", "人社局")."""

    canon: str
    written: str
    agrees: set[str]
    body: str | None
    ids: set[str] = field(default_factory=set)


def _parents_before(chain: Sequence[PlaceMatch], start: int) -> list[PlaceMatch]:
    """The places written right before `start`, back to the first of them ("枣庄市" before 市中区)."""
    out: list[PlaceMatch] = []
    at = start
    for m in reversed(chain):
        if m.end == at:
            out.append(m)
            at = m.start
        elif m.end < at:
            break
    return out


def _same_kind(issuer: str | None, body: str) -> bool:
    """A report's issuer is the body a question names ("上海市司法局"): the same kind (人社局 = 人力资源和社会保障局),
    or a government asked of any of its bodies' reports; an unknown issuer may be any body. (A sub-unit named,
    "海珠区社保中心", is no other kind: the caller keeps every report when none is of the kind named.)"""
    if not issuer or body.endswith("人民政府"):
        return True
    a, b = bureau_kind(issuer), bureau_kind(body)
    return a == b or a[:2] == b[:2]


class QueryParser:
    """Parses questions against a catalog of report metadata."""

    def __init__(self, reports: Sequence[ReportMeta]):
        self.reports = list(reports)
        aliases: dict[str, str] = {}  # alias → canonical place name
        self._covering: dict[str, set[str]] = {}  # place → every report for it or somewhere inside it
        self._own: dict[str, set[str]] = {}  # place → the reports whose most specific level it is
        self._inside: set[tuple[str, str]] = set()  # (outer, inner) place pairs, e.g. (武汉市, 江岸区)
        for r in self.reports:
            levels = r.region.names()  # most specific first
            for name in levels:
                aliases.setdefault(name, name)
                aliases.setdefault(places.stem(name), name)
                self._covering.setdefault(name, set()).add(r.report_id)
            if levels:
                self._own.setdefault(levels[0], set()).add(r.report_id)
            for i, inner in enumerate(levels):
                for outer in levels[i + 1 :]:
                    if outer != inner:
                        self._inside.add((outer, inner))
        # a town or street office's report (下洋镇人民政府, 鲤城区人民政府金龙街道办事处): the town is its place,
        # inside the issuer's county
        for r in self.reports:
            town = town_of_issuer(r.issuer or "")
            if town:
                aliases.setdefault(town, town)
                self._covering.setdefault(town, set()).add(r.report_id)
                self._own.setdefault(town, set()).add(r.report_id)
                for outer in r.region.names():
                    self._inside.add((outer, town))
        # jieba must keep place names and issuers whole ("白云区人社局" → 白云区 / 人社局)
        add_words(list(aliases) + [r.issuer for r in self.reports if r.issuer])
        self._alias = sorted(aliases.items(), key=lambda t: -len(t[0]))
        self._known_districts = {r.region.district for r in self.reports if r.region.district}
        self._by_id = {r.report_id: r for r in self.reports}

    def _regions_in(self, text: str) -> tuple[list[str], list[str], set[str]]:
        """(known canonical names, unknown place names, matching report ids) mentioned in text.

        The most specific place named wins: "武汉市江岸区" means the district's reports, not every report of
        武汉. A place named alone means its own reports when it has any ("武汉人社局" → the city bureau's
        report, not also those of its districts), unless the question asks across the places inside it
        ("武汉各区……"). A place is named as the gazetteer reads the question: "吉林" inside 吉林省 is not 吉林市,
        and "枣庄市市中区" is not 济南's 市中区. A place named with a body ("吉林省政府", "上海司法局") asks for
        that body's own report: a report of a place inside it, or of another kind of body, is not one.
        """
        across = bool(_ACROSS.search(text))
        known: list[str] = []
        ids: set[str] = set()
        unknown: list[str] = []
        named = self._named_places(text)
        for place in named:
            own = self._own.get(place.canon, set()) & place.agrees
            covering = self._covering[place.canon] & place.agrees
            if place.body and not across:
                # one place, reports of several bodies: the body named, when one of them is it
                own = {i for i in own if _same_kind(self._by_id[i].issuer, place.canon + place.body)} or own
                covering = own
            if not covering:
                unknown.append(place.written)
                continue
            if place.canon not in known:
                known.append(place.canon)
            ids_here = covering if across or not own else own
            place.ids = ids_here
        specific = [c for c in known if not any((c, o) in self._inside for o in known)]
        for place in named:
            if place.canon in specific and place.ids:
                ids |= place.ids
        # a district right after a known place ("赣州市瑞金区") is named even when the gazetteer lacks it
        after_known = [
            m.group(1)
            for alias, _ in self._alias
            if alias in text  # (a plain test first: the catalogue may hold thousands of aliases)
            for m in re.finditer(re.escape(alias) + r"([\u4e00-\u9fa5]{2}[区县])(?![\u4e00-\u9fa5]{0,3}[委局])", text)
        ]
        after_known = [n for n in after_known if _name_like(n[:2])]
        towns = [m.group(1) for m in _TOWN.finditer(text) if _town_like(m.group(1))]
        for name in [*places.mentions(text), *after_known, *towns, *_short_named(text)]:
            if name in unknown or any(name in u for u in unknown):
                continue
            if name in known or any(name.startswith(k) or k.startswith(places.stem(name)) for k in known):
                continue
            unknown.append(name)
        return known, unknown, ids

    def _named_places(self, text: str) -> list[_NamedPlace]:
        """The catalogue's places named in `text`, each with the reports that agree with the places named
        right before it and the body named right after it."""
        present = [(a, c) for a, c in self._alias if a in text]  # (a plain test first: thousands of aliases)
        spans = [(m.start(), m.end(), c) for a, c in present for m in re.finditer(re.escape(a), text)]
        g = Gazetteer.default()
        chain = g.find(text, short_names=True)
        longer = [(m.start, m.end) for m in chain if not m.short] + [(s, e) for s, e, _ in spans]
        out: list[_NamedPlace] = []
        for s, e, canon in spans:
            # inside a longer name: "吉林" of 吉林省, "白云" of 白云山 (if the gazetteer or catalogue has it)
            if any(a <= s and e <= b and b - a > e - s for a, b in longer):
                continue
            agrees = set(self._covering[canon])
            written_from = s
            for parent in _parents_before(chain, s):
                names = {c.name for c in parent.candidates}
                agrees = {i for i in agrees if names & set(self._by_id[i].region.names())}
                written_from = min(written_from, parent.start)
            out.append(_NamedPlace(canon, text[written_from:e], agrees, body_named_at(text, e)))
        return out

    def parse(self, question: str, history: Sequence[HistoryTurn] = ()) -> Query:
        q = _ordinal_resolved(strip_instructions(question.strip()), history)
        # the previous user turn, cleaned as a question is (assistant turns never steer the query)
        prev = next((t.content.strip() for t in reversed(history) if t.role == "user" and t.content.strip()), "")
        prev = strip_instructions(prev) if prev else prev
        known, unknown, ids = self._regions_in(q)
        named_here = known
        years = [int(y) for y in _YEAR.findall(q) if 1990 <= int(y) <= 2100 and not re.search(y + r"\s*[号件]", q)]
        text, focus, context = q, q, ""
        if prev:
            p_known, _, p_ids = self._regions_in(prev)
            p_years = [int(y) for y in _YEAR.findall(prev)]
            sub = _FOLLOWUP_SUB.match(q)
            if sub and (known or years or unknown):
                # "那嘉定区呢？": the previous question with the entity swapped
                text = prev
                for name in p_known:
                    for alias in sorted({name, places.stem(name)}, key=len, reverse=True):
                        text = text.replace(alias, "")
                text = re.sub(r"(?:19|20)\d{2}\s*年度?", "", text) if years or known else text
                text = "".join(known + unknown) + "".join(f"{y}年" for y in years) + text
                focus = text
                context = prev
            elif not known and not unknown:
                # no place named: a follow-up about the same report(s) and topic
                context = prev
                known, ids = p_known, p_ids
                if not years:
                    years = p_years
                text = q + " " + prev
            elif _ANAPHORA.match(q):
                context = prev  # "其中嘉定区…": keep the topic, the named place wins
            # else: the question names its own place and stands alone; the history does not colour it
            if not known and not unknown and not ids:
                ids = p_ids
        # "深圳龙岗区": a district no report covers, inside a known city, is still not covered
        unknown_specific = [
            u
            for u in unknown
            if u.endswith(("区", "县")) and known and not any(k in self._known_districts for k in known)
        ]
        # a town or street no report is about ("鲤城区开元街道"): not its county's other towns' reports
        unknown_specific += [
            u for u in unknown if u.endswith(TOWN_LEVELS) and not any(k.endswith(TOWN_LEVELS) for k in known)
        ]
        if unknown_specific:
            ids = set()
        qtype, unit = classify(focus)
        if context and not _ASKS.search(focus) and qtype == "fact":
            # "那会办的呢？" asks what the previous question asked, of something else: its kind of answer too
            # (unless it says its own kind: "结案率呢？" asks a percentage after a count)
            qtype, unit = classify(context)
        covering = [self._by_id[i] for i in sorted(ids) if i in self._by_id]
        uncovered = []
        for y in years:
            # (a report whose years are not known may cover any year)
            if covering and not any(y in r.years or not r.years for r in covering):
                uncovered.append(y)
        # one issuer, several years: a named year keeps only the reports that cover it
        of_year = [r.report_id for r in covering if any(y in r.years for y in years)]
        if of_year and not uncovered:
            ids = set(of_year)
        if years and not ids and not known and not unknown:
            # "2020年那两份报告…", no place named: the reports that cover the year, when some do and not all
            of_year = [i for i, r in self._by_id.items() if any(y in r.years for y in years)]
            if 0 < len(of_year) < len(self._by_id):
                ids = set(of_year)
        # two reports named in the question itself ("嘉定2023年和白云2020年…") ask about both
        compare = len(ids) > 1 and (bool(_COMPARE.search(q)) or len(named_here) > 1)
        survey = not ids and not unknown and bool(_SURVEY.search(q))
        if (compare or survey) and qtype not in ("count", "percent", "amount", "list"):
            qtype = "count" if re.search(r"[多少]$|[多少][？?]*$|谁.*[多少]|哪.*[多少]", q.rstrip("？?")) else "compare"
        return Query(
            question=q,
            text=text,
            focus=focus,
            qtype=qtype,
            unit=unit,
            report_ids=sorted(ids),
            regions=known,
            unknown_regions=unknown_specific or ([] if known else unknown),
            years=years,
            uncovered_years=uncovered,
            context=context,
            compare=compare,
            survey=survey,
            named=bool(known) and len(ids) == 1,
            asks=max(1, len(re.findall(r"多少|几", focus))) if qtype in ("count", "percent", "amount") else 1,
        )
