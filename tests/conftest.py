"""Shared fixtures for the ingest tests: the sample corpus, parsed once per session, and isolated settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# The project is not installed into the venv and pyproject has no pytest `pythonpath`, so make
# `import bot` / `import ingest` work under a plain `.venv/bin/pytest`.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.settings import Settings  # noqa: E402
from bot.types import Chunk  # noqa: E402
from ingest.chunk import chunk_report  # noqa: E402
from ingest.load import load_report  # noqa: E402
from ingest.parse import ParsedReport, parse_text  # noqa: E402
from tests.fake_openai import ScriptedOpenAI, serve  # noqa: E402

# Each app a test makes counts its own rate limits, as with one worker; the shared SQLite store (the default)
# has tests of its own. Set here, at import, so that module-scoped fixtures' Settings see it too.
RATE_LIMIT_STORE = "memory"
os.environ["REPORTQA_RATE_LIMIT_STORE"] = RATE_LIMIT_STORE

SAMPLES_DIR = REPO / "data" / "reports"
UNSEEN_DIR = REPO / "tests" / "fixtures" / "unseen"

SAMPLE_NAMES = [
    "000_31e41020e1499160.txt",
    "001_db59ff4b70f4e062.txt",
    "002_6fae348653edd2e7.txt",
    "003_a5f592639eb2b6b4.txt",
    "004_4c6858bdc4dfdbf1.txt",
]
UNSEEN_NAMES = ["sz_pingshan_2021.txt", "gbk_xuhui_2019.txt"]
ALL_NAMES = SAMPLE_NAMES + UNSEEN_NAMES

# The neutral fixture: two short reports written for the infrastructure tests (API, widget, faults, Chroma
# server, serving), with made-up facts. Those tests assert the contract (status, shapes, offsets that slice the
# file) on these, never a gold answer of the sample reports, so that a change to the answerer cannot break them.
NEUTRAL_DIR = REPO / "tests" / "fixtures" / "neutral"
NEUTRAL_NAMES = ["hongta_2022.txt", "keqiao_2021.txt"]
NEUTRAL_Q = "红塔区人社局2022年办理了多少件行政复议案件？"
NEUTRAL_FACT = "行政复议案件73件"  # the one sentence of hongta_2022.txt that answers NEUTRAL_Q
NEUTRAL_SOURCE = "hongta_2022.txt"

# Text that is never report content: page chrome of the sample sites and the news pasted after 002's end.
BOILERPLATE_MARKERS = [
    "扫一扫在手机打开当前页",
    "您当前的位置",
    "浏览器",
    "发布日期",
    "湖北举办线上机关档案业务建设培训班",
    "湖北省档案馆",
]


def assert_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is `status` with the API's error shape {"error": {"code", "message"}} and no stack trace."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in resp.text
    if code:
        assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


def path_of(name: str) -> Path:
    return (UNSEEN_DIR if name in UNSEEN_NAMES else SAMPLES_DIR) / name


@pytest.fixture(autouse=True)
def _no_reportqa_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings must come from the test alone, not from a developer's REPORTQA_* variables."""
    for key in list(os.environ):
        if key.startswith("REPORTQA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("REPORTQA_RATE_LIMIT_STORE", RATE_LIMIT_STORE)


@pytest.fixture(scope="session")
def parsed() -> dict[str, ParsedReport]:
    """Every sample and unseen fixture, loaded and parsed once."""
    return {name: parse_text(load_report(path_of(name))) for name in ALL_NAMES}


@pytest.fixture(scope="session")
def chunked(parsed: dict[str, ParsedReport]) -> Callable[[str, int], list[Chunk]]:
    """chunked(name, budget): the chunks of a parsed report, computed once per (name, budget)."""
    cache: dict[tuple[str, int], list[Chunk]] = {}

    def get(name: str, budget: int) -> list[Chunk]:
        if (name, budget) not in cache:
            cache[name, budget] = chunk_report(parsed[name], budget)
        return cache[name, budget]

    return get


@pytest.fixture
def reports_dir(tmp_path: Path) -> Path:
    """A writable copy of the five sample reports (the originals are read-only)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in SAMPLE_NAMES:
        (folder / name).write_bytes((SAMPLES_DIR / name).read_bytes())
    return folder


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """make_settings(cache="cache", **overrides): Settings with index and cache under tmp_path, no .env."""

    def make(cache: str = "cache", **overrides: object) -> Settings:
        values: dict[str, object] = {"index_dir": tmp_path / "index", "cache_dir": tmp_path / cache}
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


def neutral_text(source: str) -> str:
    """The text of a neutral fixture report, as citations' offsets index it."""
    return (NEUTRAL_DIR / source).read_text(encoding="utf-8-sig")


def build_neutral(root: Path) -> Settings:
    """Settings for an index of the neutral fixture, built under `root` with HashEmbedder (no model)."""
    from bot.embed import HashEmbedder
    from ingest.index import ingest

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, index_dir=root / "index", cache_dir=root / "cache", feedback_db=root / "fb.sqlite3"
    )
    ingest([NEUTRAL_DIR], settings, HashEmbedder())
    return settings


@pytest.fixture(scope="session")
def neutral_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The neutral fixture's index, built once; tests that change an index build their own (build_neutral)."""
    return build_neutral(tmp_path_factory.mktemp("neutral"))


@pytest.fixture(scope="module")
def hash_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the sample reports with HashEmbedder (no model), for the generative-mode tests."""
    from bot.embed import HashEmbedder
    from ingest.index import ingest

    root = tmp_path_factory.mktemp("gen")
    settings = Settings(_env_file=None, index_dir=root / "index", cache_dir=root / "cache")  # type: ignore[call-arg]
    ingest([SAMPLES_DIR], settings, HashEmbedder())
    return settings.index_dir


@pytest.fixture(scope="module")
def scripted_llm() -> Iterator[tuple[ScriptedOpenAI, str]]:
    """The scripted OpenAI-compatible server on 127.0.0.1 and its /v1 URL."""
    server = ScriptedOpenAI()
    with serve(server.app) as url:
        yield server, url + "/v1"


def fixture_qa(root: Path, reports: dict[str, str]) -> Any:
    """A bot over fixture reports (file name → text) written under `root`, BM25 only; `.reports_dir` is set."""
    from bot.pipeline import ReportQA
    from ingest.index import ingest

    folder = root / "reports"
    folder.mkdir()
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(_env_file=None, index_dir=root / "index", cache_dir=root / "cache", use_dense=False)  # type: ignore[call-arg]
    ingest([folder], settings, None)
    qa = ReportQA.from_settings(settings)
    qa.reports_dir = folder  # type: ignore[attr-defined]
    return qa
