"""Offline extractive answerer (placeholder: the top sentence of the top hit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.analysis import sentence_spans
from bot.types import Answer, Citation, Context

if TYPE_CHECKING:
    from bot.pipeline import Prepared


class ExtractiveAnswerer:
    def answer(self, prep: Prepared) -> Answer:
        hits = prep.hits
        contexts = [
            Context(source=h.chunk.source, start=h.chunk.start, end=h.chunk.end, score=h.score) for h in hits
        ]
        if not hits:
            return Answer(answer="报告中没有找到相关内容。", answerable=False, contexts=contexts)
        c = hits[0].chunk
        s, e = next(iter(sentence_spans(c.text)), (0, len(c.text)))
        start, end = c.orig_span(s, e)
        rec = prep.data.reports[c.report_id]
        cit = Citation(
            report_id=c.report_id,
            source=c.source,
            title=rec.meta.title,
            section=c.section_path,
            quote=rec.text[start:end],
            start=start,
            end=end,
        )
        return Answer(
            answer=f"根据{rec.meta.short_name}，{c.text[s:e]}",
            answerable=True,
            citations=[cit],
            contexts=contexts,
        )
