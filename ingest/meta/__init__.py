"""Report metadata from the text itself: title, issuer, region, years covered, publish date.

Everything is inferred from patterns of official writing (a title line, an issuer name in front of an
organisation suffix, the self-reference 我局/我队, dates in several forms); a manifest may override any field.

    years    find_years, parse_date: the years covered and the publish date
    region   find_region, with_coded_division: the place a report is about
    issuer   find_issuer, ISSUERS_LINE: who issued it (with its region)
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.text.analysis import to_simplified, without_pinyin
from bot.types import Region, ReportMeta
from ingest.load import RawReport
from ingest.meta.issuer import ISSUERS_LINE, find_issuer
from ingest.meta.region import find_region, with_coded_division
from ingest.meta.years import YEAR, find_years, parse_date

# the body that posted a page, on its date line: "来源:武汉市水务局", "2026-01-20 17:01 | 武汉市水务局"
_POSTER = re.compile(
    r"(?:来源|信息来源|发布机构|发布单位)\s*[:：]\s*([\u4e00-\u9fa5]{2,30})|[|｜]\s*([\u4e00-\u9fa5]{2,30})\s*$"
)


def synth_title(
    issuer: str | None, region: Region, years: list[int], breadcrumb: str | None, *, source: str = ""
) -> str:
    """A title for a report that has no title line: who, when and what, from what the text gives.

    With no issuer or region known the file's own name stands in (never "未知单位…").
    """
    who = issuer or region.label()
    if not who:
        stem = re.sub(r"[_\-]+", " ", Path(source).stem).strip()
        return stem or "未命名报告"
    span = ""
    if years:
        span = f"{years[0]}年度" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
    topic = "工作报告"
    if breadcrumb:
        crumbs = [c.strip() for c in re.split(r"[>＞»/]", breadcrumb.split("：")[-1].split(":")[-1])]
        crumbs = [c for c in crumbs if c and not YEAR.search(c) and c not in ("首页", "政务公开")]
        if crumbs:
            topic = crumbs[-1]
    return f"{who}{span}{topic}"


def extract_meta(
    raw: RawReport,
    clean: str,
    *,
    title_line: str | None,
    date_text: str | None,
    breadcrumb: str | None,
    signature: str | None = None,
    code: str | None = None,
) -> ReportMeta:
    published = parse_date(date_text) if date_text else None
    # names are matched in simplified Chinese (a page in traditional characters: 汕頭市龍湖區 → 汕头市龙湖区)
    simp = [without_pinyin(to_simplified(x)) if x else x for x in (title_line, clean, breadcrumb, signature)]
    posted = _POSTER.search(to_simplified(date_text)) if date_text else None
    poster = (posted.group(1) or posted.group(2)) if posted else None
    issuer, region = find_issuer(simp[0], simp[1] or "", breadcrumb=simp[2], signature=simp[3], poster=poster)
    if code:
        region = with_coded_division(region, code, " ".join(x for x in simp[:2] if x)[:3000])
    years = find_years(title_line, breadcrumb, clean, published)
    title = title_line or synth_title(issuer, region, years, breadcrumb, source=raw.source)
    return ReportMeta(
        report_id=report_id_for(raw.source),
        source=raw.source,
        title=title,
        issuer=issuer,
        region=region,
        years=years,
        published=published,
        content_hash=raw.content_hash,
        n_chars=len(raw.text),
        page_starts=list(raw.page_starts) if raw.page_starts is not None else None,
    )


def report_id_for(source: str) -> str:
    """A stable id from the file name: its stem, lower-cased, with separators kept URL-safe."""
    stem = source.rsplit(".", 1)[0]
    return re.sub(r"[^0-9A-Za-z_\-\u4e00-\u9fa5]+", "-", stem).strip("-").lower() or "report"


__all__ = [
    "ISSUERS_LINE",
    "extract_meta",
    "find_issuer",
    "find_region",
    "find_years",
    "parse_date",
    "report_id_for",
    "synth_title",
    "with_coded_division",
]
