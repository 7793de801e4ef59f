"""ingest.chunk: offsets that round-trip to the file, sections never crossed, token budget, no boilerplate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import ALL_NAMES, BOILERPLATE_MARKERS

from bot.errors import ConfigError
from bot.text.analysis import count_tokens
from bot.types import Chunk
from ingest.chunk import chunk_report
from ingest.parse import ParsedReport

BUDGETS = [60, 300]
Chunked = Callable[[str, int], list[Chunk]]


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_chunk_quote_is_the_files_own_text(
    name: str, budget: int, parsed: dict[str, ParsedReport], chunked: Chunked
) -> None:
    text = parsed[name].text
    chunks = chunked(name, budget)
    assert chunks
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.quote


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_chunk_character_maps_back_to_the_same_character(
    name: str, budget: int, parsed: dict[str, ParsedReport], chunked: Chunked
) -> None:
    text = parsed[name].text
    for c in chunked(name, budget):
        assert c.spans.to_orig(0) == c.start
        assert c.spans.to_orig(len(c.text) - 1) == c.end - 1
        for i, ch in enumerate(c.text):
            assert text[c.spans.to_orig(i)] == ch, (c.id, i)
        assert c.orig_span(0, len(c.text)) == (c.start, c.end)


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_chunk_never_crosses_a_section(
    name: str, budget: int, parsed: dict[str, ParsedReport], chunked: Chunked
) -> None:
    sections = parsed[name].sections
    by_path = {tuple(s.path): s for s in sections}
    for c in chunked(name, budget):
        sec = by_path.get(tuple(c.section_path))
        assert sec is not None, f"{c.section_path} is not a section of {name}"
        assert sec.start <= c.start and c.end <= sec.end
        # ...and not into one of its subsections either: a chunk holds its section's own text only.
        for sub in sections:
            if len(sub.path) > len(c.section_path) and sub.path[: len(c.section_path)] == c.section_path:
                assert c.end <= sub.start or c.start >= sub.end, (c.section_path, sub.path)


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_chunk_respects_the_token_budget(name: str, budget: int, chunked: Chunked) -> None:
    for c in chunked(name, budget):
        assert c.n_tokens == count_tokens(c.text)
        assert 0 < c.n_tokens <= budget


@pytest.mark.parametrize("name", ALL_NAMES)
def test_smaller_budget_gives_more_chunks(name: str, chunked: Chunked) -> None:
    assert len(chunked(name, 60)) > len(chunked(name, 300))


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_chunks_keep_all_section_text(
    name: str, budget: int, parsed: dict[str, ParsedReport], chunked: Chunked
) -> None:
    """Every non-blank character of the clean view is in some chunk, except standalone heading lines."""
    report = parsed[name]
    headings = {s.path[-1] for s in report.sections if s.path}
    covered = set()
    for c in chunked(name, budget):
        covered.update(c.spans.to_orig(i) for i in range(len(c.text)))
    pos = 0
    for line in report.clean.split("\n"):
        if line.strip() and line.strip().rstrip("。；;:： ") not in headings:
            lost = [
                ch for i, ch in enumerate(line) if not ch.isspace() and report.spans.to_orig(pos + i) not in covered
            ]
            assert not lost, line[:40]
        pos += len(line) + 1


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_boilerplate_is_in_no_chunk(name: str, budget: int, chunked: Chunked) -> None:
    for c in chunked(name, budget):
        for marker in BOILERPLATE_MARKERS:
            assert marker not in c.text and marker not in c.quote and marker not in c.header


@pytest.mark.parametrize("budget", BUDGETS)
def test_page_break_is_joined_in_chunk_text_but_kept_in_quote(budget: int, chunked: Chunked) -> None:
    hits = [c for c in chunked("004_4c6858bdc4dfdbf1.txt", budget) if "局领导积极践行" in c.text]
    assert len(hits) == 1
    c = hits[0]
    assert "局领导积极践行行政机关负责人出庭应诉制度" in c.text
    assert "局领导积极践行\n\n行政机关负责人出庭应诉制度" in c.quote
    assert c.section_path == [
        "一、主要措施及成效",
        "（一）加强组织领导，认真贯彻落实，打好依法行政工作基础",
        "1.强化领导，落实责任",
    ]


def test_chunk_metadata_names_its_report_and_section(parsed: dict[str, ParsedReport], chunked: Chunked) -> None:
    report = parsed["001_db59ff4b70f4e062.txt"]
    chunks = chunked("001_db59ff4b70f4e062.txt", 300)
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert c.report_id == report.meta.report_id
        assert c.source == "001_db59ff4b70f4e062.txt"
        assert c.header.startswith(report.meta.title)
        if c.section_path:
            assert c.header.endswith(" > ".join(c.section_path))
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_chunking_is_deterministic(parsed: dict[str, ParsedReport], chunked: Chunked) -> None:
    again = chunk_report(parsed["002_6fae348653edd2e7.txt"], 300)
    assert [c.to_json() for c in again] == [c.to_json() for c in chunked("002_6fae348653edd2e7.txt", 300)]


def test_chunk_json_round_trip(chunked: Chunked) -> None:
    for c in chunked("004_4c6858bdc4dfdbf1.txt", 60):
        assert Chunk.from_json(c.to_json()) == c


def test_too_small_token_budget_is_refused(parsed: dict[str, ParsedReport]) -> None:
    with pytest.raises(ConfigError, match="20"):
        chunk_report(parsed["000_31e41020e1499160.txt"], 20)
