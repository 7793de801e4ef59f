"""Questions about the collection itself, answered from the reports' metadata.

"这几份报告里哪几份是广州市下面区里的？", "一共有几份报告？", "报告都是哪几年的？", "哪份报告是上海的？": the answer
lists the matching reports, each cited at its title line (or, for a report without one, at its opening
sentence), so every claim about the collection points at the file that supports it.

A question counts as one about the collection when it speaks of the reports as a set (几份/哪些/这些/所有…报告)
and asks for nothing but what metadata holds: which reports, how many, issuers, places, years.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.query import Query
from bot.store import IndexData, ReportRecord
from bot.types import Answer, Citation

_ABOUT_SET = re.compile(
    r"(?:几|哪|多少|这些|这几|那几|那些|所有|全部|现有|各|每|有什么|有啥)\s*(?:份|篇|个|家|类)?\s*(?:单位的)?(?:报告|材料)"
    r"|(?:报告|材料)(?:库|里|中|当中|里面)?\s*(?:都|一共|总共|分别|共)\s*(?:有|是|包括|涉及|来自|覆盖|出自)"
)
# what metadata can say; any other content word makes it a question about the reports' contents
_META_WORDS = re.compile(
    "|".join(
        sorted(
            (
                "| 报告 材料 份 篇 几 哪 哪些 哪几 多少 一共 总共 共 都 分别 各 每 这些 "
                "这几 那几 那些 所有 全部 现有 里 中 当中 里面 是 有 的 属于 来自 出自 "
                "关于 涉及 覆盖 包括 包含 下面 下辖 辖区 下属 区里 市里 区 市 县 省 地方 "
                "地区 城市 哪里 哪儿 年 年份 年度 时间 时候 期间 单位 部门 机关 谁 发布 "
                "发的 写的 出的 印发 标题 名字 名称 题目 什么 啥 请问 告诉 我 一下 列 列出 "
                "说说 看看 查 帮 呢 吗 了 和 与 及 还 其中 那 这 个 家 人社局 人社 局 "
                "政府 法治政府建设 法治 建设 依法行政 工作 情况 年度报告 上级 级 分别是 各自 "
                "哪一年 哪一份 哪一 "
            ).split(),
            key=len,
            reverse=True,
        )
    )
)
_ASKS_COUNT = re.compile(r"几份|多少份|几篇|多少篇|几个|多少个|一共|总共|数量")
_ASKS_YEARS = re.compile(r"哪[一几]?年|年份|年度|时间|期间|什么时候")
_ASKS_WHO = re.compile(r"谁|单位|部门|机关|发布|发的|写的|出的")


def is_collection_question(query: Query, place_names: Sequence[str]) -> bool:
    """True when the question asks about the reports as a set, and for nothing the metadata does not hold."""
    q = query.question
    if not _ABOUT_SET.search(q):
        return False
    rest = q
    for name in sorted(place_names, key=len, reverse=True):
        rest = rest.replace(name, "")
    rest = re.sub(r"(?:19|20)\d{2}", "", rest)
    rest = _META_WORDS.sub("", rest)
    return not re.sub(r"[\W\d_a-zA-Z]", "", rest)


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


def _describe(rec: ReportRecord, asks_years: bool, asks_who: bool) -> str:
    meta = rec.meta
    years = ""
    if meta.years:
        years = f"{meta.years[0]}年" if len(meta.years) == 1 else f"{meta.years[0]}—{meta.years[-1]}年"
    who = meta.issuer or meta.region.label() or meta.title
    if asks_years and not asks_who:
        return f"{who}：{years or '年份未注明'}"
    return f"{who}{years}报告" if years else meta.title


def answer_collection(query: Query, data: IndexData) -> Answer:
    """The reports the question's places (if any) select, listed with a citation each."""
    ids = query.report_ids if (query.report_ids or not query.regions) else []
    records = [data.reports[i] for i in sorted(ids or data.reports) if i in data.reports]
    if query.years:
        records = [r for r in records if any(y in r.meta.years for y in query.years)]
    if not records:
        covered = "、".join(sorted({r.meta.region.label() for r in data.reports.values() if r.meta.region.label()}))
        return Answer(
            answer=f"现有报告中没有符合条件的报告。现有报告涉及：{covered or '（未注明地区）'}。",
            answerable=False,
            reason="no report matches the collection question",
        )
    asks_years = bool(_ASKS_YEARS.search(query.question))
    asks_who = bool(_ASKS_WHO.search(query.question))
    citations = [_title_citation(r, data) for r in records]
    items = [f"{_describe(r, asks_years, asks_who)}[{i}]" for i, r in enumerate(records, 1)]
    scope = "现有" if not (query.regions or query.years) else "符合条件的"
    text = f"{scope}报告共{len(records)}份：" + "；".join(items) + "。"
    return Answer(answer=text, answerable=True, citations=citations, reason="answered from the reports' metadata")
