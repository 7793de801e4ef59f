"""The character-pair postings the answerer counts term frequencies with, against a plain scan."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pipeline import ReportQA
from bot.retrieve.hybrid import RetrievalParams
from bot.settings import Settings
from bot.store import IndexHandle
from bot.store.termindex import NgramIndex
from bot.text.analysis import normalize
from ingest.index import ingest

# a small alphabet so that terms often occur, and sometimes only as scattered pairs
_CHARS = st.sampled_from(list("就业创招聘会人社局区2024年，"))
_TEXTS = st.lists(st.text(_CHARS, max_size=30), max_size=12)
_TERMS = st.text(_CHARS, min_size=1, max_size=5)


def _scan(texts: list[str], term: str) -> list[int]:
    return [i for i, t in enumerate(texts) if term in t]


@settings(max_examples=200, deadline=None)
@given(texts=_TEXTS, terms=st.lists(_TERMS, min_size=1, max_size=6))
def test_postings_match_a_scan(texts: list[str], terms: list[str]) -> None:
    index = NgramIndex.build(texts)
    for term in terms:
        found = index.docs(term).tolist()
        truth = _scan(texts, term)
        if len(term) <= 2:
            assert found == truth
        else:  # every pair of the term's characters is in the chunk: a superset, never a miss
            assert set(truth) <= set(found)
            assert all(all(term[i : i + 2] in texts[d] for i in range(len(term) - 1)) for d in found)
        assert index.df(term) == len(found)


def test_pairs_never_span_two_chunks() -> None:
    index = NgramIndex.build(["招聘", "会议"])
    assert index.df("聘会") == 0
    assert index.df("招聘") == 1


def test_empty_corpus_and_term() -> None:
    index = NgramIndex.build([])
    assert index.df("就业") == 0
    assert index.df("") == 0


def test_saved_postings_load_memory_mapped_and_agree(tmp_path: Path) -> None:
    texts = ["全年举办招聘会12场", "创业担保贷款", "招聘会和培训会"]
    NgramIndex.build(texts).save(tmp_path / "ngrams")
    loaded = NgramIndex.load(tmp_path / "ngrams")
    assert loaded.n_docs == 3
    for term in ("招聘会", "会", "担保", "培训", "没有的词"):
        assert loaded.df(term) == len(_scan(texts, term))


def test_ingest_writes_the_postings_and_an_index_without_them_still_answers(
    reports_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    ingest([reports_dir], settings, None)
    data = IndexHandle(settings.index_dir, settings, with_dense=False).get()
    assert data.ngrams is not None
    texts = [normalize(c.header + c.text) for c in data.chunks]
    for term in ("行政复议", "培训", "法"):
        assert data.ngrams.df(term) >= len(_scan(texts, term)) > 0
    qa = ReportQA(
        IndexHandle(settings.index_dir, settings, with_dense=False),
        None,
        retrieval=RetrievalParams(k=settings.retrieval_k),
    )
    question = "行政复议案件有多少件？"
    before = qa.ask(question)
    shutil.rmtree(data.path / "ngrams")  # a generation written before the postings existed
    old = ReportQA(
        IndexHandle(settings.index_dir, settings, with_dense=False),
        None,
        retrieval=RetrievalParams(k=settings.retrieval_k),
    )
    assert old.index.get().ngrams is None
    after = old.ask(question)
    assert after.answer == before.answer
    assert after.citations == before.citations


def test_the_body_a_question_names_as_writer_is_an_entity_not_an_asked_term() -> None:
    from types import SimpleNamespace

    from bot.answer.extractive.terms import entity_words
    from bot.query import QueryParser

    data = SimpleNamespace(reports={})
    q = QueryParser([]).parse("乐山市交通运输局2023年办了多少件行政复议？")
    assert "乐山市交通运输局" in entity_words(q, data)  # type: ignore[arg-type]
    # a body that is not a writer's kind (a school, a firm) stays an asked thing
    q = QueryParser([]).parse("乐山市第一中学有多少名学生？")
    assert not any(e.endswith("中学") for e in entity_words(q, data))  # type: ignore[arg-type]
