"""QueryParser: which reports a question is about, what kind of fact it asks for, and follow-ups.

Region, year and issuer mentions are matched against the ingested metadata (never a hard-coded list), so a
new report's districts are understood as soon as it is ingested.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.query.followup import ANAPHORA, ASKS, FOLLOWUP_SUB, ordinal_resolved
from bot.query.kinds import COMPARE, SURVEY, classify
from bot.query.model import Query
from bot.query.regions import ACROSS, TOWN, NamedPlace, name_like, parents_before, same_kind, short_named, town_like
from bot.text import places
from bot.text.analysis import add_words
from bot.text.gazetteer import Gazetteer
from bot.text.injection import strip_instructions
from bot.text.orgs import TOWN_LEVELS, body_named_at, town_of_issuer
from bot.types import HistoryTurn, ReportMeta

_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")


def _previous_question(history: Sequence[HistoryTurn]) -> str:
    """The previous user turn, cleaned as a question is (assistant turns never steer the query)."""
    prev = next((t.content.strip() for t in reversed(history) if t.role == "user" and t.content.strip()), "")
    return strip_instructions(prev) if prev else prev


def _years_in(q: str) -> list[int]:
    """The years a question names (not the numbers of documents or cases: "2019号", "2020件")."""
    return [int(y) for y in _YEAR.findall(q) if 1990 <= int(y) <= 2100 and not re.search(y + r"\s*[号件]", q)]


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
        across = bool(ACROSS.search(text))
        known: list[str] = []
        ids: set[str] = set()
        unknown: list[str] = []
        named = self._named_places(text)
        for place in named:
            own = self._own.get(place.canon, set()) & place.agrees
            covering = self._covering[place.canon] & place.agrees
            if place.body and not across:
                # one place, reports of several bodies: the body named, when one of them is it
                own = {i for i in own if same_kind(self._by_id[i].issuer, place.canon + place.body)} or own
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
        after_known = [n for n in after_known if name_like(n[:2])]
        towns = [m.group(1) for m in TOWN.finditer(text) if town_like(m.group(1))]
        for name in [*places.mentions(text), *after_known, *towns, *short_named(text)]:
            if name in unknown or any(name in u for u in unknown):
                continue
            if name in known or any(name.startswith(k) or k.startswith(places.stem(name)) for k in known):
                continue
            unknown.append(name)
        return known, unknown, ids

    def _named_places(self, text: str) -> list[NamedPlace]:
        """The catalogue's places named in `text`, each with the reports that agree with the places named
        right before it and the body named right after it."""
        present = [(a, c) for a, c in self._alias if a in text]  # (a plain test first: thousands of aliases)
        spans = [(m.start(), m.end(), c) for a, c in present for m in re.finditer(re.escape(a), text)]
        g = Gazetteer.default()
        chain = g.find(text, short_names=True)
        # a catalogue place the gazetteer reads under another of its names ("红河州": 红河哈尼族彝族自治州)
        spans += [
            (m.start, m.end, c.name)
            for m in chain
            if not m.short
            for c in m.candidates
            if c.name in self._covering and (m.start, m.end, c.name) not in spans
        ]
        longer = [(m.start, m.end) for m in chain if not m.short] + [(s, e) for s, e, _ in spans]
        out: list[NamedPlace] = []
        for s, e, canon in spans:
            # inside a longer name: "吉林" of 吉林省, "白云" of 白云山 (if the gazetteer or catalogue has it)
            if any(a <= s and e <= b and b - a > e - s for a, b in longer):
                continue
            agrees = set(self._covering[canon])
            written_from = s
            for parent in parents_before(chain, s):
                names = {c.name for c in parent.candidates}
                agrees = {i for i in agrees if names & set(self._by_id[i].region.names())}
                written_from = min(written_from, parent.start)
            out.append(NamedPlace(canon, text[written_from:e], agrees, body_named_at(text, e)))
        return out

    def parse(self, question: str, history: Sequence[HistoryTurn] = ()) -> Query:
        q = ordinal_resolved(strip_instructions(question.strip()), history)
        prev = _previous_question(history)
        known, unknown, ids = self._regions_in(q)
        named_here = known
        years = _years_in(q)
        search_text, asked, previous = q, q, ""
        if prev:
            search_text, asked, previous, known, ids, years = self._followup(q, prev, known, unknown, ids, years)
        unknown_specific = self._unknown_specific(known, unknown)
        if unknown_specific:
            ids = set()
        qtype, unit = classify(asked)
        if previous and not ASKS.search(asked) and qtype == "fact":
            # "那会办的呢？" asks what the previous question asked, of something else: its kind of answer too
            # (unless it says its own kind: "结案率呢？" asks a percentage after a count)
            qtype, unit = classify(previous)
        ids, uncovered = self._year_scope(ids, years, known, unknown)
        # two reports named in the question itself ("嘉定2023年和白云2020年…") ask about both
        compare = len(ids) > 1 and (bool(COMPARE.search(q)) or len(named_here) > 1)
        survey = not ids and not unknown and bool(SURVEY.search(q))
        if (compare or survey) and qtype not in ("count", "percent", "amount", "list"):
            qtype = "count" if re.search(r"[多少]$|[多少][？?]*$|谁.*[多少]|哪.*[多少]", q.rstrip("？?")) else "compare"
        return Query(
            typed=q,
            search_text=search_text,
            asked=asked,
            qtype=qtype,
            unit=unit,
            report_ids=sorted(ids),
            regions=known,
            unknown_regions=unknown_specific or ([] if known else unknown),
            years=years,
            uncovered_years=uncovered,
            previous=previous,
            compare=compare,
            survey=survey,
            named=bool(known) and len(ids) == 1,
            asks=max(1, len(re.findall(r"多少|几", asked))) if qtype in ("count", "percent", "amount") else 1,
        )

    def _followup(
        self, q: str, prev: str, known: list[str], unknown: list[str], ids: set[str], years: list[int]
    ) -> tuple[str, str, str, list[str], set[str], list[int]]:
        """The question read after the previous one: (search text, asked, previous, known places, report ids, years)."""
        search_text, asked, previous = q, q, ""
        p_known, _, p_ids = self._regions_in(prev)
        p_years = [int(y) for y in _YEAR.findall(prev)]
        if FOLLOWUP_SUB.match(q) and (known or years or unknown):
            # "那嘉定区呢？": the previous question with the entity swapped
            search_text = prev
            for name in p_known:
                for alias in sorted({name, places.stem(name)}, key=len, reverse=True):
                    search_text = search_text.replace(alias, "")
            search_text = re.sub(r"(?:19|20)\d{2}\s*年度?", "", search_text) if years or known else search_text
            search_text = "".join(known + unknown) + "".join(f"{y}年" for y in years) + search_text
            asked = search_text
            previous = prev
        elif not known and not unknown:
            # no place named: a follow-up about the same report(s) and topic
            previous = prev
            known, ids = p_known, p_ids
            if not years:
                years = p_years
            search_text = q + " " + prev
        elif ANAPHORA.match(q):
            previous = prev  # "其中嘉定区…": keep the topic, the named place wins
        # else: the question names its own place and stands alone; the history does not colour it
        if not known and not unknown and not ids:
            ids = p_ids
        return search_text, asked, previous, known, ids, years

    def _unknown_specific(self, known: list[str], unknown: list[str]) -> list[str]:
        """The places named that no report covers although their parent's reports exist: "深圳龙岗区" (a district
        inside a known city), "鲤城区开元街道" (a town or street no report is about, not its county's others)."""
        out = [
            u
            for u in unknown
            if u.endswith(("区", "县")) and known and not any(k in self._known_districts for k in known)
        ]
        out += [u for u in unknown if u.endswith(TOWN_LEVELS) and not any(k.endswith(TOWN_LEVELS) for k in known)]
        return out

    def _year_scope(
        self, ids: set[str], years: list[int], known: list[str], unknown: list[str]
    ) -> tuple[set[str], list[int]]:
        """The reports a named year keeps, and the years no matched report covers."""
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
        return ids, uncovered
