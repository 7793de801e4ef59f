"""The embeddable chat widget, driven in a real headless Chromium against the real app on 127.0.0.1.

The index of the neutral fixture (tests/fixtures/neutral) is built with the fake `HashEmbedder` (the extractive
answerer needs no model), and the tests assert what the widget does with the answer, not a gold answer;
the app runs under uvicorn in a thread. Playwright drives Debian's Chromium (its own browser download does not
work offline); the module skips only when that browser or the playwright package is missing.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "widget tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="widget tests need the playwright package (pip install -e '.[dev]')"
)
Browser = sync_api.Browser
Page = sync_api.Page
expect = sync_api.expect

from bot.embed import HashEmbedder  # noqa: E402
from bot.pipeline import ReportQA  # noqa: E402
from bot.server.app import create_app  # noqa: E402
from bot.server.feedback import FeedbackStore  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import IndexHandle  # noqa: E402
from ingest.index import ingest  # noqa: E402
from tests.conftest import NEUTRAL_DIR, NEUTRAL_FACT, NEUTRAL_Q, RATE_LIMIT_STORE  # noqa: E402
from tests.fake_openai import free_port, serve  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = NEUTRAL_Q
FACT = NEUTRAL_FACT  # in the one sentence that answers QUESTION
FOLLOW_UP = "那柯桥区呢？"  # answered from the other report, keqiao_2021, with QUESTION's topic
OTHER_PLACE = "柯桥"
WIDGET_KEY = "pk_test_widget_0123456789"

ROOT = "document.querySelector('reportqa-widget').shadowRoot"
ACTIVE_CLASS = f"() => ({ROOT}.activeElement || {{}}).className || ''"

# Records the text of every render of a streaming answer. textContent replaces the Text node each time, so the
# added nodes keep the text of that moment even when several SSE events arrive in one network read.
RECORD_STREAM = f"""() => {{
  window.__streamed = [];
  new MutationObserver(records => {{
    for (const r of records) {{
      const streaming = r.target.classList && r.target.classList.contains('rqa-answer--streaming');
      if (r.type !== 'childList' || !streaming) continue;
      for (const n of r.addedNodes) if (n.nodeType === Node.TEXT_NODE) window.__streamed.push(n.data);
    }}
  }}).observe({ROOT}, {{subtree: true, childList: true}});
}}"""


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The index, one answering pipeline, and the app (open demo mode) served on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("widget")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("REPORTQA_"):
                mp.delenv(key)
        mp.setenv("REPORTQA_RATE_LIMIT_STORE", RATE_LIMIT_STORE)  # each app its own limits (test_widget_host)
        settings = Settings(
            _env_file=None, index_dir=tmp / "index", cache_dir=tmp / "cache", feedback_db=tmp / "fb.sqlite3"
        )
        ingest([NEUTRAL_DIR], settings, HashEmbedder())
        qa = ReportQA(IndexHandle(settings.index_dir, settings), HashEmbedder())
        with serve(create_app(settings, qa=qa)) as base_url:
            yield {"settings": settings, "qa": qa, "base_url": base_url, "tmp": tmp}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright starts Chromium with a fresh temporary --user-data-dir of its own.
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# ---------------------------------------------------------------------------------------------- helpers
def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    bubble = page.locator(".rqa-bubble")
    expect(bubble).to_be_visible()  # visible only once widget.css has loaded
    bubble.click()
    expect(page.locator(".rqa-panel")).to_be_visible()


def ask(page: Page, question: str) -> Any:
    """Types and sends a question; returns the locator of the finished (done or error) answer."""
    answers = page.locator(".rqa-msg--bot")
    before = answers.count()
    box = page.locator(".rqa-input")
    box.fill(question)
    box.press("Enter")
    answer = answers.nth(before)
    expect(answer).to_have_attribute("data-status", "done", timeout=15_000)
    return answer


def contract(page: Page, base_url: str, question: str, history: list[dict[str, str]] | None = None) -> Any:
    """The server's own (non-streaming) answer, to compare the widget with."""
    res = page.request.post(f"{base_url}/api/chat", data={"question": question, "history": history or []})
    assert res.ok, res.text()
    return res.json()


def chat_requests(page: Page) -> list[Any]:
    seen: list[Any] = []
    page.on("request", lambda r: seen.append(r) if r.url.endswith("/api/chat") and r.method == "POST" else None)
    return seen


# ---------------------------------------------------------------------------------------------- tests
def test_answer_streams_in_with_citation_chips_passage_feedback_and_follow_up(page: Page, env: dict[str, Any]) -> None:
    base = env["base_url"]
    expected = contract(page, base, QUESTION)
    cite = expected["citations"][0]
    sent = chat_requests(page)

    open_widget(page, base + "/")
    assert page.evaluate(ACTIVE_CLASS) == "rqa-input"  # focus moved into the panel
    page.evaluate(RECORD_STREAM)
    answer = ask(page, QUESTION)

    # streamed: the answer was rendered several times while growing, before the final text replaced it
    streamed = [s for s in page.evaluate("window.__streamed") if s]
    assert len(streamed) >= 2, streamed
    assert all(len(a) < len(b) for a, b in itertools.pairwise(streamed)), streamed
    assert len(streamed[0]) < len(expected["answer"])
    assert int(answer.locator(".rqa-answer").get_attribute("data-deltas") or 0) == len(streamed)

    text = answer.locator(".rqa-answer")
    expect(text).to_contain_text(FACT)
    assert "[1]" not in text.inner_text()  # the marker became a chip
    chip = answer.locator(".rqa-chip").first
    expect(chip).to_have_text("1")
    expect(answer.locator(".rqa-source").first).to_have_text(f"[1] {cite['title']} › {' › '.join(cite['section'])}")

    # the chip opens the cited passage with the quote highlighted and in view
    chip.click()
    passage = page.locator(".rqa-passage")
    expect(passage).to_be_visible()
    expect(passage.locator(".rqa-passage-title")).to_have_text(cite["title"])
    expect(passage.locator(".rqa-passage-path")).to_have_text(" › ".join(cite["section"]))
    mark = passage.locator("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(cite["quote"])
    assert FACT in cite["quote"]
    body_box = passage.locator(".rqa-passage-body").bounding_box()
    mark_box = mark.bounding_box()
    assert body_box and mark_box
    assert body_box["y"] <= mark_box["y"] and mark_box["y"] + mark_box["height"] <= body_box["y"] + body_box["height"]
    page.locator(".rqa-back").click()
    expect(passage).to_be_hidden()
    assert "rqa-chip" in page.evaluate(ACTIVE_CLASS)  # focus returns to the chip that opened it

    # 👍 is stored with the question, the answer and the session
    answer.locator(".rqa-fb[data-rating='up']").click()
    expect(answer.locator(".rqa-feedback-status")).to_have_text("感谢反馈")
    [record] = FeedbackStore(env["settings"].feedback_db).all()
    assert (record["rating"], record["question"], record["answer"]) == ("up", QUESTION, expected["answer"])
    assert record["citations"][0]["quote"] == cite["quote"]
    assert record["session_id"]

    # the follow-up carries the conversation as history
    second = ask(page, FOLLOW_UP)
    # the follow-up is answered from the other report: its citation chip names it
    expect(second.locator(".rqa-chip").first).to_be_visible()
    expect(second.locator(".rqa-chip").first).to_have_attribute("aria-label", re.compile(OTHER_PLACE))
    first_body, follow_body = sent[0].post_data_json, sent[1].post_data_json
    assert follow_body["history"] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": expected["answer"]},
    ]
    assert follow_body["session_id"] == first_body["session_id"] == record["session_id"]
    assert follow_body["stream"] is True

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget.png"))


def test_conversation_survives_reload_and_panel_fills_a_phone_screen(browser: Browser, env: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        open_widget(page, env["base_url"] + "/")
        panel = page.locator(".rqa-panel")
        assert panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 812}
        ask(page, QUESTION)
        ask(page, FOLLOW_UP)
        session = json.loads(page.evaluate("JSON.stringify(sessionStorage)"))
        assert len(session) == 1

        page.reload()
        page.locator(".rqa-bubble").click()
        expect(page.locator(".rqa-msg--user .rqa-bubble-text")).to_have_text([QUESTION, FOLLOW_UP])
        answers = page.locator(".rqa-msg--bot")
        expect(answers).to_have_count(2)
        expect(answers.nth(0).locator(".rqa-chip").first).to_be_visible()
        expect(answers.nth(1).locator(".rqa-chip").first).to_have_attribute("aria-label", re.compile(OTHER_PLACE))
        assert json.loads(page.evaluate("JSON.stringify(sessionStorage)")) == session  # same session_id
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing overflows sideways

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget-phone.png"))

        page.locator(".rqa-new").click()
        expect(page.locator(".rqa-msg")).to_have_count(0)
        sent = chat_requests(page)
        ask(page, QUESTION)
        assert sent[0].post_data_json["history"] == []
        assert sent[0].post_data_json["session_id"] not in json.dumps(session)
    finally:
        context.close()


def test_question_with_html_is_shown_as_text_not_markup(page: Page, env: dict[str, Any]) -> None:
    question = 'xss <img src=x onerror="window.__xss=1"> <b>粗体</b>'
    open_widget(page, env["base_url"] + "/")
    ask(page, question)
    expect(page.locator(".rqa-msg--user .rqa-bubble-text")).to_have_text(question)
    # no element was made from the question (so no onerror can ever fire): checked as soon as it is shown
    assert page.evaluate(f"{ROOT}.querySelectorAll('img, b').length") == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("window.__xss") is None


def test_network_failure_keeps_the_question_and_a_retry_resends_it(page: Page, env: dict[str, Any]) -> None:
    sent = chat_requests(page)
    open_widget(page, env["base_url"] + "/")
    # the API is reachable for the no-cors probe, but not /api/chat: a network failure, not a refused origin
    page.route("**/api/chat", lambda route: route.abort())
    page.locator(".rqa-input").fill(QUESTION)
    page.locator(".rqa-input").press("Enter")
    error = page.locator(".rqa-msg--error")
    expect(error.locator(".rqa-error-title")).to_have_text("网络错误")
    expect(error.locator(".rqa-error-message")).to_have_text("无法连接到问答服务，请检查网络后重试。")
    expect(page.locator(".rqa-input")).to_have_value(QUESTION)  # the question is not lost

    page.unroute("**/api/chat")
    page.locator(".rqa-input").fill("")
    page.get_by_role("button", name="重试").click()
    done = page.locator(".rqa-msg--bot[data-status='done']")
    expect(done.locator(".rqa-answer")).to_contain_text(FACT)
    expect(page.locator(".rqa-msg--error")).to_have_count(0)
    expect(page.locator(".rqa-msg--user")).to_have_count(1)  # a retry does not repeat the question
    assert [r.post_data_json["question"] for r in sent] == [QUESTION, QUESTION]


def test_keyboard_tab_and_enter_open_the_panel_and_escape_closes_it(page: Page, env: dict[str, Any]) -> None:
    page.goto(env["base_url"] + "/")
    expect(page.locator(".rqa-bubble")).to_be_visible()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE_CLASS) == "rqa-bubble":
            break
    else:
        pytest.fail("Tab never reached the chat bubble")
    page.keyboard.press("Enter")
    expect(page.locator(".rqa-panel")).to_be_visible()
    assert page.evaluate(ACTIVE_CLASS) == "rqa-input"
    expect(page.locator(".rqa-list")).to_have_attribute("aria-live", "polite")

    page.keyboard.press("Escape")
    expect(page.locator(".rqa-panel")).to_be_hidden()
    assert page.evaluate(ACTIVE_CLASS) == "rqa-bubble"  # focus is back on the bubble
    expect(page.locator(".rqa-bubble")).to_have_attribute("aria-expanded", "false")


@pytest.fixture(scope="module")
def keyed(env: dict[str, Any]) -> Iterator[dict[str, str]]:
    """The app with a widget key, allowed from its own origin and from a third-party host page's origin."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    api_port, host_port = free_port(), free_port()
    api, host_origin = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{host_port}"
    settings = env["settings"].model_copy(update={"widget_key": WIDGET_KEY, "allowed_origins": [api, host_origin]})
    host = FastAPI()

    @host.get("/")
    def page_with_widget(key: str = WIDGET_KEY) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>外部站点</title></head>'
            "<body><p>第三方页面</p>"
            f'<script src="{api}/widget.js" data-endpoint="{api}" data-key="{html.escape(key)}"></script>'
            "</body></html>"
        )

    with serve(create_app(settings, qa=env["qa"]), port=api_port), serve(host, port=host_port):
        yield {"api": api, "host": host_origin}


def test_widget_embedded_on_another_origin_sends_its_key_only_in_the_header(page: Page, keyed: dict[str, str]) -> None:
    """A host page on one origin, the API on another: CORS preflights pass, and the key stays in the header."""
    sent = chat_requests(page)
    open_widget(page, keyed["host"] + "/")
    expect(page.locator(".rqa-title")).to_have_text("报告问答")  # the default title
    answer = ask(page, QUESTION)
    assert sent[0].header_value("x-widget-key") == WIDGET_KEY
    assert WIDGET_KEY not in sent[0].url and WIDGET_KEY not in (sent[0].post_data or "")

    answer.locator(".rqa-chip").first.click()
    expect(page.locator(".rqa-passage mark")).to_contain_text(FACT)
    assert WIDGET_KEY not in page.evaluate(f"{ROOT}.innerHTML")
    assert WIDGET_KEY not in page.evaluate("JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")


def test_demo_page_served_with_a_widget_key_opens_cited_passages(page: Page, keyed: dict[str, str]) -> None:
    open_widget(page, keyed["api"] + "/")  # the demo page, with {{WIDGET_KEY}} filled in
    ask(page, QUESTION).locator(".rqa-chip").first.click()
    expect(page.locator(".rqa-passage mark")).to_contain_text(FACT, timeout=3_000)


def test_wrong_widget_key_says_so_in_chinese_and_offers_no_retry(page: Page, keyed: dict[str, str]) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    open_widget(page, keyed["host"] + "/?key=pk_wrong")
    page.locator(".rqa-input").fill(QUESTION)
    page.locator(".rqa-input").press("Enter")
    error = page.locator(".rqa-msg--error")
    expect(error.locator(".rqa-error-title")).to_have_text("密钥无效", timeout=3_000)
    expect(error.locator(".rqa-error-message")).to_have_text("本站点配置的问答服务密钥无效，请联系管理员。")
    expect(error.get_by_role("button", name="重试")).to_have_count(0)  # the same key would fail again
    expect(page.locator(".rqa-input")).to_have_value(QUESTION)
    assert any("REPORTQA_WIDGET_KEY" in w for w in warnings), warnings
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-401.png"))
