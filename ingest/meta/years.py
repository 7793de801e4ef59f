"""The years a report covers and the date it was published, from its title, breadcrumb and text."""

from __future__ import annotations

import re
from collections import Counter

# a year: "2021年", or the first of a range "2019—2021"; not the year of a date (2024-03-08) or of an index
# number (/2026-00005), which say when a page was filed, not what it covers
YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|(?=(?:—|-|–|～|~|至)\s*(?:19|20)\d{2}(?!\d)))")
_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*(?:—|-|–|～|~|至|到)\s*((?:19|20)\d{2})\s*年")
_SINCE = re.compile(r"((?:19|20)\d{2})\s*年以来")
_DATE_FORMS = [
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})"),
]


def parse_date(s: str) -> str | None:
    for pat in _DATE_FORMS:
        m = pat.search(s)
        if m:
            y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


# a government work report, given to the people's congress: it reviews one year and plans the next
_WORK_REPORT = re.compile(r"政\s*府\s*工\s*作\s*报\s*告")
_REVIEWED = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:工作)?回顾")
_CONGRESS = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*\d{1,2}\s*日\s*在.{0,40}?人民代表大会")


def _work_report_years(title: str | None, text: str) -> list[int] | None:
    """The two years of a 政府工作报告: the year it reviews and the year it plans (None for other reports).

    From its "2019年工作回顾" heading, else its title's year (the planned one), else the date of the congress
    session it was given at (a session late in the year plans the next)."""
    head = (title or "") + text[:600]
    if not _WORK_REPORT.search(head) or not re.search(r"人民代表大会|人代会|各位代表", text[:3000]):
        return None
    reviewed = _REVIEWED.search(text[:6000])
    if reviewed:
        y = int(reviewed.group(1))
        return [y, y + 1]
    titled = [int(y) for y in YEAR.findall(_years_of_report(title or ""))]
    if len(set(titled)) == 1:
        return [titled[0] - 1, titled[0]]
    session = _CONGRESS.search(text[:3000])
    if session:
        y, month = int(session.group(1)), int(session.group(2))
        return [y, y + 1] if month >= 10 else [y - 1, y]
    return None


def find_years(title: str | None, breadcrumb: str | None, text: str, published: str | None) -> list[int]:
    """The years a report covers: from the title, the breadcrumb, else its opening paragraph (a government
    work report covers the year it reviews and the year it plans)."""
    work = _work_report_years(title, text)
    if work:
        return work
    for src in (title, breadcrumb):
        src = _years_of_report(src or "")
        if not src:
            continue
        r = _YEAR_RANGE.search(src)
        if r:
            return list(range(int(r.group(1)), int(r.group(2)) + 1))
        ys = [int(y) for y in YEAR.findall(src)]
        if ys:
            return sorted(set(ys))
    opening = _years_of_report(text[:400])
    since = _SINCE.search(opening)
    if since and published:
        y0, y1 = int(since.group(1)), int(published[:4]) - 1
        if y0 <= y1:
            return list(range(y0, y1 + 1))
    ys = [int(y) for y in YEAR.findall(opening)]
    if ys:
        return [Counter(ys).most_common(1)[0][0]]
    if published:
        return [int(published[:4]) - 1]
    # no year in the title, the opening or the page's date: the year the text reports on most ("2020年度共受理…")
    counted = Counter(int(y) for y in YEAR.findall(_years_of_report(text[:3000])))
    top = counted.most_common(2)
    if top and top[0][1] >= 2 and (len(top) == 1 or top[0][1] > top[1][1]):
        return [top[0][0]]
    return []


# the year of a plan a report adds ("…情况及2021年度工作安排的报告"): not a year it covers
_PLAN_YEAR = re.compile(r"[及和与暨、]\s*(?:19|20)\d{2}\s*年度?\s*的?(?:工作|重点)*(?:安排|计划|打算|思路|要点|任务)")
_CITED = re.compile(r"《[^《》]*》")


def _years_of_report(src: str) -> str:
    """`src` without the years that say nothing of what the report covers: a plan's year, and the span of a
    plan it cites (《法治政府建设实施纲要(2021—2025年)》), when a year is left outside them."""
    src = _PLAN_YEAR.sub("", src)
    bare = _CITED.sub(lambda m: "" if _YEAR_RANGE.search(m.group(0)) else m.group(0), src)
    return bare if YEAR.search(bare) else src
