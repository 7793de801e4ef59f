"""Questions about the collection itself, answered from the reports' metadata.

"这几份报告里哪几份是广州市下面区里的？", "一共有几份报告？", "报告都是哪几年的？", "哪份报告是上海的？",
"上海那份是哪个区的？", "有没有天津的报告？", "哪份最早？": the answer lists the matching reports (or, for 最早/最新,
the one at that end of time), each cited at its title line (or, for a report without one, at its opening
sentence), so every claim about the collection points at the file that supports it. A place no report is
about gets "没有…的报告" and the reports there are.

A question counts as one about the collection when it speaks of the reports as documents (几份/哪份/那份/这些…报告,
有没有…的报告, 最新的是哪一份) and asks for nothing but what metadata holds: which reports, how many, issuers,
places, years, which is the earliest or latest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer.extractive.compose import date_as_written, posted_by, side_labels
from bot.coverage import years_text
from bot.query import Query
from bot.store import IndexData, ReportRecord
from bot.text.analysis import normalize, tagged
from bot.types import Answer, Citation

# the words a user calls the reports by
_DOC = r"(?:报告|材料|资料|文件|文档|年报|总结)"
_ABOUT_SET = re.compile(
    rf"(?:几|哪|多少|这些|这几|那几|那些|所有|全部|现有|各|每|有什么|有啥)\s*(?:份|篇|个|家|类|些)?\s*(?:[\u4e00-\u9fa5]{{1,4}}的)?{_DOC}"
    rf"|{_DOC}(?:库|里|中|当中|里面)?\s*(?:都|一共|总共|分别|共)?\s*(?:有|是|包括|涉及|来自|覆盖|出自)\s*(?:哪|几|多少|什么|啥)"
    rf"|{_DOC}(?:库|里|中|当中|里面)?\s*(?:都|一共|总共|分别|共)\s*(?:有|是|包括|涉及|来自|覆盖|出自)"
    rf"|{_DOC}的?\s*(?:标题|题目|名字|名称|年份|年度|发布)"
    # 份/篇 counts documents: "几份", "哪一份", "上海那份", "每篇"
    r"|(?:几|多少|哪|那|这|每|各|[两三四五六七八九十])\s*一?\s*[份篇]"
    rf"|有没有[^，。？?]{{0,12}}?{_DOC}"
    rf"|有[^，。？?]{{0,12}}?的{_DOC}(?:吗|没有)"
    rf"|(?:收录|上传|导入|存)(?:了|的|有)?[^，。？?]{{0,8}}?{_DOC}"
    rf"|最(?:新|近|晚|早|老|旧)的?\s*(?:一\s*[份篇])?\s*{_DOC}"
)
# what metadata can say; any other content word makes it a question about the reports' contents
_META_WORDS = re.compile(
    "|".join(
        sorted(
            (
                "| 报告 材料 资料 文件 文档 年报 总结 收录 上传 导入 存 库 知识库 系统 手头 你 你们 这里 目前 现在 "
                "份 篇 几 哪 哪些 哪几 多少 一共 总共 共 都 分别 各 每 这些 "
                "这几 那几 那些 所有 全部 现有 里 中 当中 里面 是 有 的 属于 来自 出自 "
                "关于 涉及 覆盖 包括 包含 下面 下辖 辖区 下属 区里 市里 区 市 县 省 地方 "
                "地区 城市 哪里 哪儿 年 年份 年度 时间 时候 期间 单位 部门 机关 谁 发布 "
                "发的 写的 出的 印发 标题 名字 名称 题目 什么 啥 请问 告诉 我 一下 列 列出 "
                "说说 看看 查 帮 呢 吗 了 和 与 及 还 其中 那 这 个 家 人社局 人社 局 "
                "政府 法治政府建设 法治 建设 依法行政 工作 情况 年度报告 上级 级 分别是 各自 "
                "哪一年 哪一份 哪一 哪个 最早 最新 最近 最晚 最老 最旧 最先 早 新 晚 讲 写 总结 有没有 没有 "
                "一级 级别 层级 省级 市级 区级 县级 区县 地市 街镇 乡镇 街道 镇 乡 "
                "好几年 多年 几年 跨年 跨年度 单年 连续 不是 只 而是 一年 最多 最长 跨度 最大 一份 一篇 专门 单独 "
            ).split(),
            key=len,
            reverse=True,
        )
    )
)
LISTED = 10
"""The most reports a collection answer names one by one; past it, the rest are counted."""
_ASKS_COUNT = re.compile(r"几份|多少份|几篇|多少篇|几个|多少个|一共|总共|数量")
_ASKS_YEARS = re.compile(r"哪[一几]?年|年份|年度|时间|期间|什么时候")
_ASKS_WHO = re.compile(r"谁|单位|部门|机关|发布|发的|写的|出的")
_ASKS_PLACE = re.compile(r"哪个?[省市区县]|哪里|哪儿|什么地方|哪个地方|哪的")
_ASKS_DATE = re.compile(r"日期|哪天|几月|什么时候[发出印公]|何时[发出印公]|发布时间")
_ASKS_TITLE = re.compile(r"标题|题目|名字|名称|叫什么")
# the level of the body asked for: "哪些是区一级的", "有没有市级部门出的", "省级单位的报告"
_LEVELS = {
    "town": re.compile(r"街道|乡镇|街镇|[镇乡]一?级|[镇乡]的" + _DOC),
    "district": re.compile(r"区一?级|县一?级|区县|县区|区里|县里|哪[个些几]?个?[区县]的" + _DOC),
    "city": re.compile(r"(?:地|州)?市[一]?级|地市|市直|市里"),
    "province": re.compile(r"省[一]?级|省里|省直"),
}
_ASKS_WHETHER = re.compile(r"有没有|是否有|有无|有.{0,12}吗")
_SEVERAL_YEARS = re.compile(r"好几年|多年|(?<![哪])几年|跨年|不是单年|连续|多个年")  # (哪几年 asks which years)
_EARLIEST = re.compile(r"最(?:早|老|旧|先)")
_MOST_YEARS = re.compile(r"年份最多|年头最多|几年最多|跨度最[长大]|时间最长|覆盖.{0,4}最[多长]")
_LATEST = re.compile(r"最(?:新|近|晚)")
# "按年份从早到晚排一下", "按时间先后": the reports in the order of the years they cover (newest first: 从新到旧)
_IN_ORDER = re.compile(r"排序|排列|排一下|排个序|顺序|先后|从早到晚|从旧到新|从新到旧|从晚到早|由早到晚|由近及远")
_NEWEST_FIRST = re.compile(r"从新到旧|从晚到早|由近及远|倒序")


def is_collection_question(query: Query, place_names: Sequence[str]) -> bool:
    """True when the question asks about the reports as a set, and for nothing the metadata does not hold."""
    q = query.typed
    if not _ABOUT_SET.search(q):
        return False
    rest = q
    for name in sorted(place_names, key=len, reverse=True):
        rest = rest.replace(name, "")
    rest = re.sub(r"(?:19|20)\d{2}", "", rest)
    if not re.search(r"[份篇]|报告|年报", q):
        # "按哪个文件来的": 文件 and 材料 may be documents the text cites, so every other word must be metadata's
        return not re.sub(r"[\W\d_a-zA-Z]", "", _META_WORDS.sub("", rest))
    # the reports named as such (哪份, 报告): only nouns and verbs of their contents make it a question about them
    return not any(_asks_contents(w, flag) for w, flag in tagged(rest))


# parts of speech that say how a question is put, never what it is about: numerals and measure words (五份),
# pronouns (那边), adverbs (最早), prepositions (把, 按), conjunctions, particles, locatives (里面), idioms, and
# time words (从晚到早)
_FUNCTION_POS = ("m", "q", "r", "d", "p", "c", "u", "f", "l", "t", "y", "e", "o", "x", "w")


def _asks_contents(word: str, flag: str) -> bool:
    """Whether a word of the question (not a place, year or metadata word) asks about the reports' contents:
    a noun or a verb of two characters or more ("法律顾问", "欠薪"), or a one-character noun ("钱")."""
    if not re.sub(r"[\W\d_a-zA-Z]", "", word) or _META_WORDS.fullmatch(word) or flag.startswith(_FUNCTION_POS):
        return False
    if not re.sub(r"[\W\d_a-zA-Z]", "", _META_WORDS.sub("", word)):
        return False  # (a word made of metadata words: "讲的", "哪年")
    return len(word) >= 2 or flag.startswith("n")


def level(rec: ReportRecord) -> str:
    """The level of the body that wrote the report: town, district, city, province, or "" when unknown."""
    from bot.text.orgs import town_of_issuer, town_of_title

    meta = rec.meta
    if (meta.issuer and town_of_issuer(meta.issuer)) or town_of_title(meta.title):
        return "town"
    region = meta.region
    return "district" if region.district else "city" if region.city else "province" if region.province else ""


def _asked_level(q: str) -> str | None:
    return next((name for name, cue in _LEVELS.items() if cue.search(q)), None)


def _title_citation(rec: ReportRecord, data: IndexData) -> Citation:
    """The report's title line, or for a report without one the opening sentence of its text."""
    if rec.meta.title_span:
        a, b = rec.meta.title_span
        return rec.cite(a, b, [])
    first = min((c for c in data.chunks if c.report_id == rec.meta.report_id), key=lambda c: c.start, default=None)
    a = first.start if first else 0
    text = rec.text
    stop = re.search(r"[。！？；\n]", text[a : a + 120])
    b = a + (stop.start() + 1 if stop else min(80, len(text) - a))
    return rec.cite(a, b, list(first.section_path) if first else [])


# how a report writes the span it covers, near its head: "2020年度", "2012年以来", "2019—2021年"
_SPAN_WRITTEN = re.compile(
    r"((?:19|20)\d{2})\s*年\s*(?:度|以来)|((?:19|20)\d{2})\s*年?\s*(?:—|-|–|至|到)\s*(?:19|20)\d{2}\s*年度?"
)


def written_years(rec: ReportRecord, *, in_brackets: bool = False) -> str:
    """The years a report covers in its own words where its head gives them ("2012年以来（2012—2016年）",
    "2020年度"), else as the metadata has them ("2020年")."""
    meta = rec.meta
    ours = years_text(meta.years)
    if not meta.years:
        return ours
    for m in _SPAN_WRITTEN.finditer(normalize(rec.text[:600])):
        if int(m.group(1) or m.group(2)) != meta.years[0] or "《" in rec.text[max(0, m.start() - 20) : m.start()]:
            continue
        phrase = re.sub(r"\s+", "", m.group(0))
        if phrase.replace("度", "") == ours:
            return phrase
        return f"{phrase}，{ours}" if in_brackets else f"{phrase}（{ours}）"
    return ours


def _describe(rec: ReportRecord, asks_years: bool, asks_who: bool, asks_place: bool = False) -> str:
    meta = rec.meta
    years = written_years(rec) if meta.years else ""
    who = meta.issuer or meta.region.label() or meta.title
    if asks_years and not asks_who:
        return f"{who}：{years or '年份未注明'}"
    # the issuer's full name where the question asks who; the short name ("白云区人社局2020年报告") elsewhere
    name = (f"{who}{years}报告" if years else meta.title) if asks_who else meta.short_name
    if not asks_who and years and years_text(meta.years) in name:
        name = name.replace(years_text(meta.years), years, 1)  # the years in the report's own words: 2023年度
    if asks_place and meta.region.label():
        name += f"（{meta.region.label()}）"
    return name


def _titled(rec: ReportRecord) -> str:
    """The report by its own title, with the years it covers: "《…》（2012—2016年）"."""
    shown = rec.meta.years and years_text(rec.meta.years) not in rec.meta.title
    years = f"（{written_years(rec, in_brackets=True)}）" if shown else ""
    return f"《{rec.meta.title}》{years}"


def _published(rec: ReportRecord, citations: list[Citation]) -> str:
    """ "，发布日期2024-03-08[n]" with its citation appended, or "" for a report that gives no date."""
    if not (rec.meta.published and rec.meta.published_span):
        return ""
    a, b = rec.meta.published_span
    citations.append(rec.cite(a, b, []))
    return f"，发布日期{date_as_written(rec)}[{len(citations)}]"


def _at_the_end(records: list[ReportRecord], latest: bool) -> ReportRecord:
    """The report that reaches furthest into the past (or the present): by its years, then its date."""

    def when(r: ReportRecord) -> tuple[int, str]:
        years = r.meta.years or [0]
        return (years[-1] if latest else -years[0], (r.meta.published or "") if latest else "")

    return max(records, key=when)


_FROM_METADATA = "answered from the reports' metadata"


def _from_metadata(text: str, citations: list[Citation]) -> Answer:
    return Answer(answer=text, answerable=True, citations=citations, reason=_FROM_METADATA)


def answer_collection(query: Query, data: IndexData) -> Answer:
    """The reports the question's places (if any) select, listed with a citation each."""
    if query.unknown_regions and not query.report_ids:  # "有没有天津的报告？": no, and here is what there is
        return _none_of(query.unknown_regions[0], data)
    records, wanted = _selected(query, data)
    if not records:
        covered = "、".join(sorted({r.meta.region.label() for r in data.reports.values() if r.meta.region.label()}))
        return Answer(
            answer=f"现有报告中没有符合条件的报告。现有报告涉及：{covered or '（未注明地区）'}。",
            answerable=False,
            reason="no report matches the collection question",
        )
    q = query.typed
    asks = _Asks(
        years=bool(_ASKS_YEARS.search(q)) and not query.years,  # "2023年度的是哪份" names its year
        who=bool(_ASKS_WHO.search(q)),
        # a question that selects by place ("哪些是广东的") sees each report's place, the proof of the match
        place=bool(_ASKS_PLACE.search(q) or query.regions),
        date=bool(_ASKS_DATE.search(q)),
    )
    one = _widest_or_end(q, records, data) or (_the_one(q, records[0], asks, data) if len(records) == 1 else None)
    if one is not None:
        return one
    if _IN_ORDER.search(q):
        records.sort(key=lambda r: (r.meta.years or [0], r.meta.published or ""), reverse=bool(_NEWEST_FIRST.search(q)))
    filtered = bool(query.regions or query.years or wanted or _SEVERAL_YEARS.search(q))
    return _listed(q, records, asks, filtered, data)


@dataclass(frozen=True)
class _Asks:
    """What a collection question asks of each report besides which ones: its years, writer, place, date."""

    years: bool
    who: bool
    place: bool
    date: bool


def _none_of(place: str, data: IndexData) -> Answer:
    """ "没有天津市的报告。现有N份：…", each report cited at its title."""
    everything = [data.reports[i] for i in sorted(data.reports)]
    shown = everything[:LISTED]
    labels = side_labels(data, [r.meta.report_id for r in shown])
    items = [f"{labels[r.meta.report_id]}[{i}]" for i, r in enumerate(shown, 1)]
    more = f"等{len(everything)}份" if len(everything) > len(shown) else ""
    text = f"没有{place}的报告。现有{len(everything)}份：" + "、".join(items) + more + "。"
    return _from_metadata(text, [_title_citation(r, data) for r in shown])


def _selected(query: Query, data: IndexData) -> tuple[list[ReportRecord], str | None]:
    """The reports the question selects (by place, year, level, several years), and the level it asks for."""
    ids = query.report_ids if (query.report_ids or not query.regions) else []
    records = [data.reports[i] for i in sorted(ids or data.reports) if i in data.reports]
    if query.years:
        records = [r for r in records if any(y in r.meta.years for y in query.years)]
    wanted = _asked_level(query.typed)
    if wanted:
        records = [r for r in records if level(r) == wanted]
    if _SEVERAL_YEARS.search(query.typed):  # "哪份讲了好几年的工作": a report covering more than one year
        records = [r for r in records if len(r.meta.years) > 1]
    return records, wanted


def _widest_or_end(q: str, records: list[ReportRecord], data: IndexData) -> Answer | None:
    """ "哪份报告讲的年份最多" (the one covering the most years), "哪份最早/最新" (the one at that end of time)."""
    if len(records) < 2:
        return None
    if _MOST_YEARS.search(q):
        most = max(len(r.meta.years) for r in records)
        widest = [r for r in records if len(r.meta.years) == most]
        named = "、".join(f"{_titled(r)}[{i}]" for i, r in enumerate(widest, 1))
        return _from_metadata(f"覆盖年份最多的是{named}，共{most}年。", [_title_citation(r, data) for r in widest])
    end = "最新" if _LATEST.search(q) else "最早" if _EARLIEST.search(q) else None
    if not end:
        return None
    rec = _at_the_end(records, latest=end == "最新")
    citations = [_title_citation(rec, data)]
    text = f"时间{end}的是{_titled(rec)}[1]" + _published(rec, citations)
    return _from_metadata(text + "。", citations)


def _the_one(q: str, rec: ReportRecord, asks: _Asks, data: IndexData) -> Answer | None:
    """The one report selected, by its title (and years), its date (and poster), or its own title alone."""
    citations = [_title_citation(rec, data)]
    if _ASKS_TITLE.search(q) and not asks.date:  # "武汉那份报告的标题是什么"
        text = f"《{rec.meta.title}》[1]"
        if asks.years and rec.meta.years:
            text += f"，{years_text(rec.meta.years)}"
        return _from_metadata(text + "。", citations)
    if asks.date:  # "嘉定那份是什么时候发布的？"
        if not rec.meta.published:
            return Answer(
                answer=f"{_titled(rec)}[1]没有写明发布日期。",
                answerable=False,
                citations=citations,
                reason="the report gives no date",
            )
        poster = posted_by(rec, q)
        text = f"《{rec.meta.title}》[1]" + (f"由{poster}发布" if poster else "") + _published(rec, citations)
        return _from_metadata(text + "。", citations)
    if not (asks.years or asks.who or asks.place):
        # one report answers ("哪份讲了好几年的工作"): named by its own title, with its years
        return _from_metadata(f"{_titled(rec)}[1]。", citations)
    return None


def _listed(q: str, records: list[ReportRecord], asks: _Asks, filtered: bool, data: IndexData) -> Answer:
    """The reports one by one (at most LISTED), each cited at its title, with what the question asks of each."""
    shown = records[:LISTED]
    citations: list[Citation] = []
    items = []
    for r in shown:
        citations.append(_title_citation(r, data))
        item = f"{_describe(r, asks.years, asks.who, asks.place)}[{len(citations)}]"
        items.append(item + (_published(r, citations) if asks.date else ""))
    scope = "符合条件的" if filtered else "现有"
    more = f"等{len(records)}份" if len(records) > len(shown) else ""
    yes = "有，" if _ASKS_WHETHER.search(q) else ""  # "有没有上海的报告？" is answered yes first
    text = yes + (f"{scope}报告共{len(records)}份：" if len(records) > 1 else "") + "；".join(items) + more + "。"
    return _from_metadata(text, citations)
