"""Report metadata from the text itself: title, issuer, region, years covered, publish date.

Everything is inferred from patterns of official writing (a title line, an issuer name in front of an
organisation suffix, the self-reference 我局/我队, dates in several forms); a manifest may override any field.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.places import CITY, DISTRICT, PROVINCE, places, plausible_place
from bot.types import Region, ReportMeta
from ingest.load import RawReport

_HAN = r"[\u4e00-\u9fa5]"
_ORG_SUFFIX = r"(?:人民政府|委员会|办公室|大队|支队|中心|局|厅|委|办|院|署|队)"
_SELF_REF = re.compile(r"[我本](局|厅|委|队|办|中心|院|署)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|—|-|–|～|~|至)")
_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*(?:年)?\s*(?:—|-|–|～|~|至|到)\s*((?:19|20)\d{2})\s*年")
_SINCE = re.compile(r"((?:19|20)\d{2})\s*年以来")
_DATE_FORMS = [
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})"),
]
_TITLE_ISSUER = re.compile(rf"^\s*(.{{2,40}}?{_ORG_SUFFIX})(?=关于|\s|\d|（|\(|{_HAN}*?(?:年|报告))")


def parse_date(s: str) -> str | None:
    for pat in _DATE_FORMS:
        m = pat.search(s)
        if m:
            y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def find_issuer(title: str | None, text: str) -> str | None:
    """The issuing body: from the title line, else the region-prefixed organisation the text refers to."""
    if title:
        m = _TITLE_ISSUER.match(title)
        if m and (CITY.search(m.group(1)) or DISTRICT.search(m.group(1)) or PROVINCE.search(m.group(1))):
            return m.group(1).strip()
    selfref = Counter(m.group(1) for m in _SELF_REF.finditer(text))
    wanted = selfref.most_common(1)[0][0] if selfref else None
    cand = re.compile(
        rf"((?:{_HAN}{{2}}(?:省|自治区))?(?:{_HAN}{{2}}市)?(?:{_HAN}{{2}}(?:新区|区|县))?)"
        rf"({_HAN}{{2,12}}?{_ORG_SUFFIX})"
    )
    scores: Counter[str] = Counter()
    for m in cand.finditer(text):
        prefix, org = m.group(1), m.group(2)
        if not prefix or not all(plausible_place(p) for p in _split_places(prefix)):
            continue
        if wanted and not org.endswith(wanted):
            continue
        bare = org.replace("和", "")
        mentions = text.count(org) + (text.count(bare) if bare != org else 0)
        scores[prefix + org] = max(scores[prefix + org], mentions) + 1
    if not scores:
        return None
    return scores.most_common(1)[0][0]


def _split_places(prefix: str) -> list[str]:
    return [m.group(0) for m in re.finditer(rf"{_HAN}{{2}}(?:省|自治区|市|新区|区|县)", prefix)]


def find_region(issuer: str | None, title: str | None, text: str) -> Region:
    """Province, city and district: named by the issuer or title first, else the most mentioned."""
    head = " ".join(x for x in (issuer, title) if x)
    region = Region()
    for attr, pat in (("province", PROVINCE), ("city", CITY), ("district", DISTRICT)):
        named = places(pat, head)
        if named:
            setattr(region, attr, named.most_common(1)[0][0])
    if head and (region.city or region.district or region.province):
        if not region.city and region.district:
            region.city = _most(CITY, text, min_count=1)
        if not region.province:
            region.province = _most(PROVINCE, text, min_count=1)
        return region
    region.province = _most(PROVINCE, text, min_count=1)
    region.city = _most(CITY, text, min_count=1)
    districts = places(DISTRICT, text)
    bare_new = text.count("新区")  # "新区" alone refers back to the named new area
    for name in list(districts):
        if name.endswith("新区"):
            districts[name] = max(districts[name], bare_new)
    if districts:
        name, n = districts.most_common(1)[0]
        if n >= 2:
            region.district = name
    return region


def _most(pat: re.Pattern[str], text: str, min_count: int) -> str | None:
    c = places(pat, text)
    if not c:
        return None
    name, n = c.most_common(1)[0]
    return name if n >= min_count else None


def find_years(title: str | None, breadcrumb: str | None, text: str, published: str | None) -> list[int]:
    """The years a report covers: from the title, the breadcrumb, else its opening paragraph."""
    for src in (title, breadcrumb):
        if not src:
            continue
        r = _YEAR_RANGE.search(src)
        if r:
            return list(range(int(r.group(1)), int(r.group(2)) + 1))
        ys = [int(y) for y in _YEAR.findall(src)]
        if ys:
            return sorted(set(ys))
    opening = text[:400]
    since = _SINCE.search(opening)
    if since and published:
        y0, y1 = int(since.group(1)), int(published[:4]) - 1
        if y0 <= y1:
            return list(range(y0, y1 + 1))
    ys = [int(y) for y in _YEAR.findall(opening)]
    if ys:
        return [Counter(ys).most_common(1)[0][0]]
    if published:
        return [int(published[:4]) - 1]
    return []


def synth_title(issuer: str | None, region: Region, years: list[int], breadcrumb: str | None) -> str:
    who = issuer or region.label() or "未知单位"
    span = ""
    if years:
        span = f"{years[0]}年度" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
    topic = "工作报告"
    if breadcrumb:
        crumbs = [c.strip() for c in re.split(r"[>＞»/]", breadcrumb.split("：")[-1].split(":")[-1])]
        crumbs = [c for c in crumbs if c and not _YEAR.search(c) and c not in ("首页", "政务公开")]
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
) -> ReportMeta:
    published = parse_date(date_text) if date_text else None
    issuer = find_issuer(title_line, clean)
    region = find_region(issuer, title_line, clean)
    years = find_years(title_line, breadcrumb, clean, published)
    title = title_line or synth_title(issuer, region, years, breadcrumb)
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
