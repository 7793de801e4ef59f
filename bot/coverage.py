"""Which reports a question may use, from the metadata alone: the reports a place named only in passing selects,
and the refusal of a question about a place or year no report covers. Pure: a Query is never changed here;
`scoped` returns a new one."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.query import Query
from bot.text.orgs import BODY_SUFFIX

if TYPE_CHECKING:
    from bot.store import IndexData

# a body right after a place ("黄埔区人社局", "黄埔区政府"): what a question names when it asks of that body's report
_BODY_AFTER = rf"(?:政府|[^，,。？?的]{{0,10}}?(?:{BODY_SUFFIX}|管委会))"


class Catalog:
    """The reports there are, by short name, for a refusal (built once per index generation)."""

    def __init__(self, shown: int):
        self.shown = shown
        self._of: str | None = None
        self._text = ""

    def text(self, data: IndexData) -> str:
        if self._of != data.generation:
            names = sorted({r.meta.short_name for r in data.reports.values()})
            shown = "、".join(names[: self.shown])
            self._text = shown if len(names) <= self.shown else f"{shown}等{len(names)}份报告"
            self._of = data.generation
        return self._text


def _mentioning(query: Query, data: IndexData) -> list[str] | None:
    """The reports that mention the place a question names when no report is about it; None when the question
    names a report's place (or none at all), [] when no report mentions it or the question asks of a body there
    ("黄埔区人社局2023年…": no report is that body's)."""
    if not query.unknown_regions or query.report_ids:
        return None
    name = query.unknown_regions[0]
    if not query.regions and re.search(re.escape(name) + _BODY_AFTER, query.typed):
        return []
    return [r.meta.report_id for r in data.reports.values() if name in r.text]


def scoped(query: Query, data: IndexData) -> Query:
    """The query with the reports it may use: those that mention the place it names, when no report is that
    place's own (the same query when that rule does not apply)."""
    ids = _mentioning(query, data)
    return dataclasses.replace(query, report_ids=ids) if ids else query


def refusal(query: Query, data: IndexData, catalog: Catalog) -> str | None:
    """The refusal of a question about a place or year no report covers, or None when the metadata allow it."""
    ids = _mentioning(query, data)
    if ids == []:
        name = query.unknown_regions[0]
        return f"现有报告中没有关于{name}的内容，无法回答。现有报告包括：{catalog.text(data)}。"
    report_ids = ids or query.report_ids
    if not query.uncovered_years or not report_ids:
        return None
    reps = [data.reports[r] for r in report_ids if r in data.reports]
    if any(not r.meta.years for r in reps):
        return None  # a report whose years are not known may well cover the year asked
    for y in query.uncovered_years:
        if not any(f"{y}年" in r.text for r in reps):
            have = "；".join(
                f"{r.meta.short_name.removesuffix('报告')}报告只覆盖{years_text(r.meta.years)}" for r in reps
            )
            return f"报告中没有{y}年的相关内容：现有的{have}。"
    return None


def years_text(years: Sequence[int]) -> str:
    """ "2020年", "2012—2016年", or 未注明年份."""
    if not years:
        return "未注明年份"
    return f"{years[0]}年" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
