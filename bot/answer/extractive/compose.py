"""The words of an answer: the cited text, its citations, and the refusals that say what was (not) found."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.answer.extractive.context import AnswerContext
from bot.answer.extractive.spans import Candidate, Piece, narrow, trim
from bot.coverage import years_text
from bot.query import Query
from bot.types import Answer, Citation

if TYPE_CHECKING:
    from bot.store import IndexData, ReportRecord

NO_HITS = "报告中没有找到与这个问题相关的内容。"
NOT_UNDERSTOOD = "没有看懂要查询的内容，请具体说明想了解哪份报告的什么情况，例如某单位某年办理了多少件行政复议案件。"
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


def cite(data: IndexData, p: Piece) -> Citation:
    """The citation of a piece: its original-file offsets in its report."""
    start, end = p.chunk.orig_span(p.start, p.end)
    return data.reports[p.chunk.report_id].cite(start, end, p.chunk.section_path)


def span_citation(rec: ReportRecord, a: int, b: int, path: list[str]) -> Citation:
    """The citation of rec.text[a:b] (a heading line: without its Markdown markers)."""
    while a < b and rec.text[a] in " \t#*":
        a += 1
    return rec.cite(a, b, path)


def compose(data: IndexData, pieces: list[Piece], side_by_side: bool = False, named: bool = False) -> Answer:
    """The pieces as one answer, grouped by report, each followed by its citation number.

    One report: "根据X报告，…[1]。", or just "…[1]。" when the user `named` that report (the citation carries its
    title, and repeating the name the user just typed only lengthens the answer). Several side by side (a
    comparison): "嘉定区2023年：…[1]；海珠区2017年：…[2]。", each report named by its place and year (its full
    name where two would read alike); the citations carry the titles.
    """
    citations: list[Citation] = []
    by_report: dict[str, list[tuple[str, int]]] = {}
    for p in pieces:
        cit = cite(data, p)
        key = (cit.source, cit.start, cit.end)
        n = next(
            (i + 1 for i, c in enumerate(citations) if (c.source, c.start, c.end) == key),
            None,
        )
        if n is None:
            citations.append(cit)
            n = len(citations)
        by_report.setdefault(p.chunk.report_id, []).append((p.text, n))
    labels = side_labels(data, list(by_report)) if side_by_side and len(by_report) > 1 else {}
    parts = []
    for rid, items in by_report.items():
        body = "；".join(f"{t}[{n}]" for t, n in items)
        if labels:
            parts.append(f"{labels[rid]}：{body}")
        else:
            parts.append(lead(data.reports[rid], named and len(by_report) == 1) + body)
    return Answer(answer="；".join(parts) + "。", answerable=True, citations=citations)


def lead(rec: ReportRecord, named: bool) -> str:
    """The words that name an answer's report ("根据X报告，"), none when the user named it."""
    return "" if named else f"根据{rec.meta.short_name}，"


def side_labels(data: IndexData, rids: list[str]) -> dict[str, str]:
    """Place and years of each report ("嘉定区2023年"), or the short names where those would not tell them apart."""
    labels = {}
    for rid in rids:
        meta = data.reports[rid].meta
        place = meta.region.district or meta.region.city or meta.region.province
        labels[rid] = f"{place}{years_text(meta.years)}" if place and meta.years else ""
    if all(labels.values()) and len(set(labels.values())) == len(labels):
        return labels
    return {rid: data.reports[rid].meta.short_name.removesuffix("报告") for rid in rids}


def refuse(ctx: AnswerContext, best: Candidate | None) -> Answer:
    """Say plainly that the reports do not answer, and what the closest passage says.

    The sentence is fixed wording chosen by the kind of fact asked; the user's words are never pasted
    into it (they may be ungrammatical there, or an instruction).
    """
    data, p = ctx.data, ctx.params
    kind = _REFUSAL_KIND.get(ctx.query.qtype, "内容")
    if best is None:
        return Answer(answer=f"报告中没有找到能回答这个问题的{kind}。", answerable=False, reason="no evidence")
    piece = narrow(best, ctx, [])
    if len(piece.text) < p.snippet_min_chars:  # a clause this short says nothing on its own: show the sentence
        piece = trim(Piece(best.chunk, best.start, best.end))
    cit = cite(data, piece)
    snippet = piece.text if len(piece.text) <= p.snippet_chars else piece.text[: p.snippet_chars] + "…"
    name = data.reports[best.chunk.report_id].meta.short_name
    return Answer(
        answer=f"报告中没有找到能直接回答这个问题的{kind}。最接近的是{name}中的这一句：“{snippet}”[1]。",
        answerable=False,
        citations=[cit],
        reason=f"best evidence coverage {best.coverage:.2f}, fact type {'found' if best.type_ok else 'missing'}",
    )


# a full date as a page writes it: 2022年02月28日, 2024-03-08, 2024.03.08, 21.02.2017
_WRITTEN_DATE = re.compile(
    r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}"
    r"|(?<!\d)\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2}"  # day first: 21.02.2017
)
_POSTER = re.compile(r"(?:来源|信息来源|发布机构|发布单位)\s*[:：]\s*([\u4e00-\u9fa5]{2,30})")


def date_as_written(rec: ReportRecord) -> str:
    """The report's date as its page writes it ("2022年02月28日"), which its citation shows; else 2022-02-28."""
    if rec.meta.published_span:
        a, b = rec.meta.published_span
        m = _WRITTEN_DATE.search(rec.text[a:b])
        if m:
            return m.group(0)
    return rec.meta.published or ""


def posted_by(rec: ReportRecord, question: str) -> str | None:
    """For "哪个单位发的": the page's own field of who posted it, on its date line (None if not asked or not given)."""
    if not rec.meta.published_span or not re.search(r"单位|部门|谁|机构|来源", question):
        return None
    a, b = rec.meta.published_span
    poster = _POSTER.search(rec.text[a:b])
    return poster.group(1) if poster else None


def metadata_answer(query: Query, data: IndexData) -> Answer | None:
    """Questions about a report itself (when it was published) are answered from its metadata."""
    if query.qtype != "when" or len(query.report_ids) != 1:
        return None
    if "报告" not in query.asked or not re.search(r"发|公布|日期|哪天", query.asked):
        return None
    rec = data.reports.get(query.report_ids[0])
    if not rec or not rec.meta.published or not rec.meta.published_span:
        return None
    a, b = rec.meta.published_span
    cit = rec.cite(a, b, [])
    poster = posted_by(rec, query.asked)
    by = f"由{poster}发布，" if poster else "的"
    return Answer(
        answer=f"《{rec.meta.title}》{by}发布日期是{date_as_written(rec)}[1]。",
        answerable=True,
        citations=[cit],
    )
