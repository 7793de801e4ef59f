"""The widget on host pages that fight back, its Chinese messages, its input limit and the features users expect.

Same setup as tests/e2e/test_widget.py (real app under uvicorn on 127.0.0.1, Debian's Chromium through Playwright),
plus a third-party host site on its own origin that serves pages with the widget tag, hostile CSS included.
Screenshots land in tests/artifacts/ (kept by CI).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse

from bot.server.app import create_app
from tests.conftest import NEUTRAL_DIR
from tests.e2e import test_widget as base
from tests.fake_openai import HOLD_LIMIT, free_port, serve

# the browser, the app over the neutral fixture and a fresh page, shared with tests/e2e/test_widget.py
browser, env, page = base.browser, base.env, base.page
ARTIFACTS, QUESTION, ROOT, WIDGET_KEY = base.ARTIFACTS, base.QUESTION, base.ROOT, base.WIDGET_KEY
FACT, FOLLOW_UP = base.FACT, base.FOLLOW_UP
Browser, Page, expect = base.Browser, base.Page, base.expect
ask, chat_requests, contract, open_widget = base.ask, base.chat_requests, base.contract, base.open_widget

REPO = Path(__file__).resolve().parents[2]
EMPHASIS = "柯桥区人社局2021年举办了多少场线上招聘会？"  # answered from a sentence in **Markdown emphasis**

# the two pages of the issue: a transformed body on a long page, and "*" rules every element inherits from
STYLES = {
    "transformed": "body { transform: translateZ(0); margin: 0; } main { height: 3000px; }",
    "hostile": (
        "* { letter-spacing: 6px; font-style: italic; font-weight: 900; text-align: right; word-spacing: 12px;"
        " text-transform: uppercase; line-height: 3; color: #0a0 !important; }"
        " .cover { position: fixed; inset: 0; z-index: 2147483647; background: rgba(200, 0, 0, 0.08); }"
    ),
}


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def in_viewport(box: dict[str, float] | None, width: int = 1280, height: int = 800) -> bool:
    if not box:
        return False
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sites(env: dict[str, Any]) -> Iterator[dict[str, str]]:
    """An API that allows only the host site's origin (not even its own), one with a tiny rate limit, the host
    site, and the same host pages on a second origin that no allow-list names."""
    api_port, limited_port, host_port, stranger_port = (free_port() for _ in range(4))
    urls = {
        "api": f"http://127.0.0.1:{api_port}",
        "limited": f"http://127.0.0.1:{limited_port}",
        "host": f"http://127.0.0.1:{host_port}",
        "stranger": f"http://127.0.0.1:{stranger_port}",
    }
    base = env["settings"].model_copy(update={"widget_key": WIDGET_KEY, "allowed_origins": [urls["host"]]})
    limited = base.model_copy(update={"rate_limit_per_minute": 3})
    host = FastAPI()

    @host.get("/")
    def host_page(
        api: str = "api", key: str = WIDGET_KEY, style: str = "", attrs: str = "{}", cover: int = 0
    ) -> HTMLResponse:
        extra = "".join(f' data-{html.escape(k)}="{html.escape(str(v))}"' for k, v in json.loads(attrs).items())
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>内网门户</title>'
            f"<style>{STYLES.get(style, '')}</style></head><body><main><p>门户首页</p></main>"
            + ('<div class="cover"></div>' if cover else "")
            + f'<script src="{urls[api]}/widget.js" data-endpoint="{urls[api]}" data-key="{html.escape(key)}"{extra}>'
            "</script></body></html>"
        )

    with (
        serve(create_app(base, qa=env["qa"]), port=api_port),
        serve(create_app(limited, qa=env["qa"]), port=limited_port),
        serve(host, port=host_port),
        serve(host, port=stranger_port),
    ):
        yield urls


def host_url(sites: dict[str, str], origin: str = "host", **params: Any) -> str:
    if "attrs" in params:
        params["attrs"] = json.dumps(params["attrs"])
    return f"{sites[origin]}/?{urlencode(params)}"


def computed(page: Page, selector: str, prop: str) -> str:
    return str(
        page.evaluate(f"getComputedStyle({ROOT}.querySelector({json.dumps(selector)})).getPropertyValue('{prop}')")
    )


# ---------------------------------------------------------------------------------------------- hostile hosts
def test_widget_stays_in_view_on_a_long_page_with_a_transformed_body(page: Page, sites: dict[str, str]) -> None:
    open_widget(page, host_url(sites, style="transformed"))
    assert page.evaluate("document.documentElement.scrollHeight") > 3000
    page.locator(".rqa-close").click()
    bubble = page.locator(".rqa-bubble")
    box = bubble.bounding_box()
    assert in_viewport(box), box  # not at the end of the 3000 px document
    assert box and box["y"] > 600  # bottom right corner
    page.evaluate("window.scrollTo(0, 1500)")
    assert bubble.bounding_box() == box  # fixed to the viewport, not to the transformed body

    bubble.click()
    assert in_viewport(page.locator(".rqa-panel").bounding_box())
    expect(ask(page, QUESTION).locator(".rqa-answer")).to_contain_text(FACT)
    shot(page, "widget-transformed-body.png")


def test_inherited_host_css_and_a_covering_layer_do_not_reach_the_widget(page: Page, sites: dict[str, str]) -> None:
    open_widget(page, host_url(sites, style="hostile", cover=1))  # the click reaches the bubble above the cover
    expect(page.locator(".rqa-suggestion").first).to_be_visible()
    answer = ask(page, QUESTION)
    for selector in (".rqa-title", ".rqa-welcome p, .rqa-answer", ".rqa-input", ".rqa-source", ".rqa-send"):
        assert computed(page, selector, "letter-spacing") == "normal", selector
        assert computed(page, selector, "word-spacing") == "0px", selector
        assert computed(page, selector, "font-style") == "normal", selector
        assert computed(page, selector, "text-transform") == "none", selector
    assert computed(page, ".rqa-answer", "font-weight") == "400"
    assert computed(page, ".rqa-answer", "text-align") in ("left", "start")
    assert computed(page, ".rqa-answer", "line-height") != "42px"  # 3 × 14 px: the page's line-height
    assert computed(page, ".rqa-answer", "color") == "rgb(31, 39, 51)"  # ours, despite the page's !important
    expect(answer.locator(".rqa-chip").first).to_be_visible()
    answer.locator(".rqa-chip").first.click()  # above the cover too
    expect(page.locator(".rqa-passage mark")).to_contain_text(FACT)
    shot(page, "widget-hostile-css.png")


# ---------------------------------------------------------------------------------------------- messages
def send(page: Page, question: str) -> None:
    page.locator(".rqa-input").fill(question)
    page.locator(".rqa-input").press("Enter")


def no_english(text: str) -> bool:
    return not re.search(r"[A-Za-z]{3,}", text)


def test_rate_limit_says_how_long_to_wait_in_chinese(page: Page, sites: dict[str, str]) -> None:
    open_widget(page, host_url(sites, api="limited"))  # GET /api/config is the first of 3 requests a minute
    ask(page, QUESTION)
    ask(page, QUESTION)
    send(page, QUESTION)
    error = page.locator(".rqa-msg--error")
    expect(error.locator(".rqa-error-title")).to_have_text("请求太频繁")
    message = error.locator(".rqa-error-message").inner_text()
    assert re.fullmatch(r"提问太频繁，请 \d+ 秒后再试。", message), message
    retry = error.locator(".rqa-retry")
    expect(retry).to_be_disabled()  # until the wait is over
    expect(retry).to_have_text(re.compile(r"重试（\d+秒）"))
    assert no_english(error.inner_text())
    shot(page, "widget-429.png")


def test_unlisted_origin_is_told_to_ask_the_admin_and_the_console_names_the_setting(
    page: Page, sites: dict[str, str]
) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    open_widget(page, host_url(sites, origin="stranger"))
    send(page, QUESTION)
    error = page.locator(".rqa-msg--error")
    expect(error.locator(".rqa-error-title")).to_have_text("来源未授权")
    expect(error.locator(".rqa-error-message")).to_have_text("本站点未获授权使用问答服务，请联系管理员。")
    expect(error.locator(".rqa-retry")).to_have_count(0)
    expect(page.locator(".rqa-input")).to_have_value(QUESTION)
    assert any("REPORTQA_ALLOWED_ORIGINS" in w and sites["stranger"] in w for w in warnings), warnings
    shot(page, "widget-403.png")


def test_demo_page_works_when_the_allow_list_leaves_out_the_servers_own_origin(
    page: Page, sites: dict[str, str]
) -> None:
    res = page.request.get(f"{sites['api']}/api/reports")
    titles = [r["title"] for r in res.json()["reports"]]
    open_widget(page, sites["api"] + "/")  # its allow-list names only the host site
    expect(page.locator("#report-list li[data-report-id] a")).to_have_text(titles)  # the catalogue, not HTML
    answer = ask(page, QUESTION)
    answer.locator(".rqa-chip").first.click()
    expect(page.locator(".rqa-passage mark")).to_contain_text(FACT)


# ---------------------------------------------------------------------------------------------- input
def test_limit_comes_from_the_server_and_a_counter_shows_it(page: Page, env: dict[str, Any]) -> None:
    open_widget(page, env["base_url"] + "/")
    box = page.locator(".rqa-input")
    expect(box).to_have_attribute("maxlength", "2000")  # REPORTQA_MAX_QUESTION_CHARS, via GET /api/config
    counter = page.locator(".rqa-counter")
    expect(counter).to_have_text("0/2000")
    box.fill("白云区2020年")
    expect(counter).to_have_text("8/2000")


def test_too_long_for_the_server_keeps_the_text_and_offers_no_retry(page: Page, sites: dict[str, str]) -> None:
    sent = chat_requests(page)
    open_widget(page, host_url(sites, attrs={"max-length": 5000}))  # the attribute says more than the server
    expect(page.locator(".rqa-counter")).to_have_text("0/5000")
    long_question = "测" * 3000
    send(page, long_question)
    error = page.locator(".rqa-msg--error")
    expect(error.locator(".rqa-error-title")).to_have_text("请求有误")
    expect(error.locator(".rqa-error-message")).to_have_text("问题太长（3000字），请控制在2000字以内。")
    expect(error.locator(".rqa-retry")).to_have_count(0)  # retrying would repeat the same error
    expect(page.locator(".rqa-input")).to_have_value(long_question)
    assert len(sent) == 1


def test_over_the_limit_is_refused_before_sending(page: Page, sites: dict[str, str]) -> None:
    sent = chat_requests(page)
    open_widget(page, host_url(sites, attrs={"max-length": 10}))
    box = page.locator(".rqa-input")
    expect(box).to_have_attribute("maxlength", "10")
    box.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", "白云区人社局2020年出庭")
    expect(page.locator(".rqa-counter")).to_have_text("13/10")
    box.press("Enter")
    expect(page.locator(".rqa-local-error .rqa-error-message")).to_have_text("问题太长（13字），请控制在10字以内。")
    expect(box).to_have_value("白云区人社局2020年出庭")
    assert sent == []


# ---------------------------------------------------------------------------------------------- features
def test_copy_puts_the_answer_and_its_citations_as_plain_text_on_the_clipboard(
    browser: Browser, env: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=env["base_url"])
    try:
        page = context.new_page()
        expected = contract(page, env["base_url"], QUESTION)
        open_widget(page, env["base_url"] + "/")
        answer = ask(page, QUESTION)
        answer.locator(".rqa-copy").click()
        expect(answer.locator(".rqa-feedback-status")).to_have_text("已复制")
        copied = page.evaluate("navigator.clipboard.readText()")
        c = expected["citations"][0]
        assert copied == (
            f"{expected['answer']}\n\n出处：\n[1] {c['title']} › {' › '.join(c['section'])}：“{c['quote']}”"
        )
        shot(page, "widget-copy.png")
    finally:
        context.close()


def test_suggested_questions_come_from_the_reports_and_get_answers(page: Page, env: dict[str, Any]) -> None:
    config = page.request.get(env["base_url"] + "/api/config").json()
    suggestions = config["suggestions"]
    assert len(suggestions) >= 2
    open_widget(page, env["base_url"] + "/")
    buttons = page.locator(".rqa-suggestion")
    expect(buttons).to_have_text(suggestions)
    shot(page, "widget-suggestions.png")
    buttons.nth(1).click()
    answer = page.locator(".rqa-msg--bot").first
    expect(answer).to_have_attribute("data-status", "done", timeout=15_000)
    expect(page.locator(".rqa-msg--user .rqa-bubble-text")).to_have_text(suggestions[1])
    expect(answer.locator(".rqa-chip").first).to_be_visible()
    expect(page.locator(".rqa-suggestion")).to_have_count(0)  # the welcome is gone once asked


@pytest.fixture
def slow_site() -> Iterator[dict[str, Any]]:
    """A scripted /api/chat that sends one delta and then holds the stream open until the client goes away."""
    app = FastAPI()
    closed = threading.Event()

    @app.get("/")
    def page_with_widget() -> HTMLResponse:
        return HTMLResponse('<!doctype html><meta charset="utf-8"><script src="/widget.js"></script>')

    @app.get("/widget.js")
    def widget_js() -> Any:
        return FileResponse(REPO / "bot" / "server" / "static" / "widget.js", media_type="application/javascript")

    @app.get("/widget.css")
    def widget_css() -> Any:
        return FileResponse(REPO / "bot" / "server" / "static" / "widget.css", media_type="text/css")

    @app.post("/api/chat")
    async def chat(request: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            try:
                yield 'event: delta\ndata: {"text": "根据报告，第一段"}\n\n'
                for _ in range(int(HOLD_LIMIT / 0.1)):  # until the widget hangs up (HOLD_LIMIT: a safety net)
                    if await request.is_disconnected():
                        break
                    await asyncio.sleep(0.1)
                yield 'event: done\ndata: {"answer": "太晚了", "answerable": true, "citations": []}\n\n'
            finally:
                closed.set()

        return StreamingResponse(events(), media_type="text/event-stream")

    with serve(app) as url:
        yield {"url": url, "closed": closed}


def test_stop_ends_the_answer_and_keeps_what_had_arrived(page: Page, slow_site: dict[str, Any]) -> None:
    open_widget(page, slow_site["url"] + "/")
    send(page, QUESTION)
    answer = page.locator(".rqa-msg--bot").first
    expect(answer.locator(".rqa-answer")).to_have_text("根据报告，第一段")
    stop = page.get_by_role("button", name="停止生成")
    expect(page.locator(".rqa-send")).to_be_hidden()
    shot(page, "widget-stop.png")
    stop.click()
    expect(answer).to_have_attribute("data-status", "stopped")
    expect(answer.locator(".rqa-note")).to_have_text("已停止生成")
    expect(answer.locator(".rqa-answer")).to_have_text("根据报告，第一段")
    expect(stop).to_be_hidden()
    expect(page.locator(".rqa-send")).to_be_visible()
    expect(page.locator(".rqa-msg--error")).to_have_count(0)
    assert slow_site["closed"].wait(5), "the server never saw the request end"


def test_persist_local_keeps_the_conversation_in_a_new_tab(browser: Browser, sites: dict[str, str]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        first = context.new_page()
        open_widget(first, host_url(sites, attrs={"persist": "local"}))
        ask(first, QUESTION)
        second = context.new_page()  # a new tab: sessionStorage would start empty
        open_widget(second, host_url(sites, attrs={"persist": "local"}))
        expect(second.locator(".rqa-msg--user .rqa-bubble-text")).to_have_text([QUESTION])
        expect(second.locator(".rqa-msg--bot .rqa-answer")).to_contain_text(FACT)

        plain = context.new_page()  # without the attribute, a tab keeps its conversation to itself
        open_widget(plain, host_url(sites))
        expect(plain.locator(".rqa-welcome")).to_be_visible()
        expect(plain.locator(".rqa-msg")).to_have_count(0)
    finally:
        context.close()


def test_color_and_position_attributes_restyle_the_widget(page: Page, sites: dict[str, str]) -> None:
    page.goto(host_url(sites, attrs={"color": "#b3261e", "position": "left"}))
    bubble = page.locator(".rqa-bubble")
    expect(bubble).to_be_visible()
    bg = f"getComputedStyle({ROOT}.querySelector('.rqa-bubble')).backgroundColor"
    page.wait_for_function(f"{bg} === 'rgb(179, 38, 30)'")  # after its hover transition, if any
    box = bubble.bounding_box()
    assert box and box["x"] < 100 and box["y"] > 600  # bottom left
    bubble.click()
    panel = page.locator(".rqa-panel").bounding_box()
    assert panel and panel["x"] < 100
    assert computed(page, ".rqa-header", "background-color") == "rgb(179, 38, 30)"
    shot(page, "widget-themed.png")


def test_passage_drops_markdown_and_shows_the_section_path_as_the_report_writes_it(
    page: Page, env: dict[str, Any]
) -> None:
    expected = contract(page, env["base_url"], EMPHASIS)
    cite = expected["citations"][0]
    raw = (NEUTRAL_DIR / cite["source"]).read_text(encoding="utf-8-sig")
    passage = page.request.get(
        f"{env['base_url']}/api/reports/{cite['report_id']}/passage?start={cite['start']}&end={cite['end']}"
    ).json()
    assert "**" in passage["section_text"]  # the report itself carries Markdown emphasis
    assert any(part.startswith("（二）") for part in cite["section"])  # full-width, as in the file
    assert all(part.rstrip("…") in raw for part in cite["section"])

    open_widget(page, env["base_url"] + "/")
    answer = ask(page, EMPHASIS)
    expect(answer.locator(".rqa-source").first).to_contain_text(" › ".join(cite["section"]))
    answer.locator(".rqa-chip").first.click()
    body = page.locator(".rqa-passage-body")
    expect(body.locator("mark")).to_have_count(1)
    expect(page.locator(".rqa-passage-path")).to_have_text(" › ".join(passage["section"]))
    assert "**" not in body.inner_text()
    expect(body.locator("mark")).to_have_text(cite["quote"].replace("**", ""))
    shot(page, "widget-passage-markdown.png")


def test_english_question_is_labelled_as_needing_chinese(page: Page, env: dict[str, Any]) -> None:
    open_widget(page, env["base_url"] + "/")
    answer = ask(page, "How many court cases did Baiyun handle in 2020?")
    expect(answer.locator(".rqa-note")).to_have_text("请用中文提问")


def test_a_failed_feedback_note_goes_once_requests_work_again(page: Page, env: dict[str, Any]) -> None:
    open_widget(page, env["base_url"] + "/")
    first = ask(page, QUESTION)
    page.route("**/api/feedback", lambda route: route.abort())
    first.locator(".rqa-fb[data-rating='up']").click()
    status = first.locator(".rqa-feedback-status")
    expect(status).to_have_text("反馈提交失败：无法连接到问答服务，请检查网络后重试。")
    page.unroute("**/api/feedback")
    ask(page, FOLLOW_UP)
    expect(status).to_have_text("")  # recovered: the failure is not left behind
    first.locator(".rqa-fb[data-rating='up']").click()
    expect(status).to_have_text("感谢反馈")


def test_phone_size_panel_fills_the_screen_on_a_hostile_page(browser: Browser, sites: dict[str, str]) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        open_widget(page, host_url(sites, style="transformed"))
        assert page.locator(".rqa-panel").bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 812}
        expect(page.locator(".rqa-suggestion").first).to_be_visible()
        ask(page, QUESTION)
        composer = page.locator(".rqa-composer").bounding_box()
        assert composer and composer["x"] + composer["width"] <= 375 and composer["y"] + composer["height"] <= 812
        shot(page, "widget-phone-transformed.png")
    finally:
        context.close()
