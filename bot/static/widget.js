/*
 * ReportQA chat widget: embed with one tag.
 *
 *   <script src="https://host/widget.js" data-endpoint="https://host" data-key="pk_..." data-title="报告问答"></script>
 *
 * data-endpoint defaults to the script's own origin, data-title to "报告问答"; data-key (the public widget key)
 * travels only in the X-Widget-Key request header. The UI lives in an open Shadow DOM, styled by widget.css
 * loaded from the script's own folder, so the host page's CSS cannot reach it and ours cannot leak out.
 *
 * Every piece of server or user data (answers, quotes, titles, section names, errors, questions) is put into
 * the page as text (textContent / Text nodes), never parsed as HTML.
 */
(function () {
  "use strict";

  if (window.ReportQAWidget) return; // loaded twice: keep the first

  var script = document.currentScript || findOwnScript();
  if (!script || !script.src) return;

  var SCRIPT_URL = new URL(script.src, location.href);
  var ENDPOINT = (script.getAttribute("data-endpoint") || SCRIPT_URL.origin).trim().replace(/\/+$/, "");
  var KEY = (script.getAttribute("data-key") || "").trim();
  if (/^\{\{.*\}\}$/.test(KEY)) KEY = ""; // a demo page served without its placeholder filled in
  var TITLE = (script.getAttribute("data-title") || "").trim() || "报告问答";
  var STORE_KEY = "reportqa-widget:" + ENDPOINT;
  var MAX_HISTORY_TURNS = 12;
  var MAX_TURN_CHARS = 1500;
  var MAX_BODY_BYTES = 60000; // the server refuses bodies over 64 000 bytes

  function findOwnScript() {
    var all = document.querySelectorAll("script[src]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------ small helpers
  /** h("button", {class: "x", type: "button", "aria-label": "..."}, ["text", node]): attributes and text only. */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") el.textContent = String(value);
        else if (name === "class") el.className = value;
        else el.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.append(child); // strings become Text nodes
    });
    return el;
  }

  function icon(paths, size) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 24));
    svg.setAttribute("height", String(size || 24));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var p = document.createElementNS(ns, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }

  function randomId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function sectionLabel(c) {
    var parts = [c.title || c.source || c.report_id || "报告"];
    var path = Array.isArray(c.section) ? c.section.filter(Boolean) : [];
    return parts.concat(path).join(" › ");
  }

  function headers(json) {
    var hd = { Accept: json ? "application/json" : "text/event-stream" };
    if (KEY) hd["X-Widget-Key"] = KEY;
    return hd;
  }

  /** An error the panel can show: a Chinese headline plus the server's own message. */
  function WidgetError(code, message, status) {
    this.code = code;
    this.message = message;
    this.status = status || 0;
  }

  var THUMB = "M7 10v11H3V10h4zm0 0l4-8a2.5 2.5 0 0 1 3 3l-1 4h6a2 2 0 0 1 2 2.3l-1.4 7.5A2 2 0 0 1 17.6 21H7";

  var HEADLINES = {
    400: "请求有误",
    401: "无权访问（密钥无效）",
    403: "无权访问",
    404: "未找到",
    413: "问题太长",
    422: "请求格式有误",
    429: "请求太频繁",
  };

  async function httpError(res) {
    var code = "http_" + res.status;
    var message = "";
    try {
      var body = await res.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || "";
      }
    } catch (_) {
      /* not JSON: keep the status line */
    }
    if (!message) message = "服务器返回 " + res.status + (res.statusText ? " " + res.statusText : "");
    var wait = res.headers.get("Retry-After");
    if (res.status === 429 && wait && message.indexOf(wait) < 0) message += "（请 " + wait + " 秒后重试）";
    return new WidgetError(code, message, res.status);
  }

  function asWidgetError(err) {
    if (err instanceof WidgetError) return err;
    return new WidgetError("network", "无法连接到问答服务，请检查网络后重试。", 0);
  }

  function headline(err) {
    if (err.status >= 500) return "服务暂时不可用";
    if (HEADLINES[err.status]) return HEADLINES[err.status];
    if (err.code === "network") return "网络错误";
    return "出错了";
  }

  /** Reads a text/event-stream body, calling onEvent(name, data) for each complete event. */
  async function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder("utf-8");
    var buffer = "";
    var name = "";
    var data = [];
    var finished = false;

    function line(text) {
      if (text === "") {
        if (data.length) onEvent(name || "message", data.join("\n"));
        name = "";
        data = [];
        return;
      }
      if (text.charAt(0) === ":") return; // comment / keep-alive
      var i = text.indexOf(":");
      var field = i < 0 ? text : text.slice(0, i);
      var value = i < 0 ? "" : text.slice(i + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }

    function drain(final) {
      var re = /\r\n|\r|\n/g;
      var m;
      var consumed = 0;
      while ((m = re.exec(buffer))) {
        // a lone "\r" at the very end may be the first half of "\r\n": wait for the next chunk
        if (!final && m[0] === "\r" && m.index === buffer.length - 1) break;
        line(buffer.slice(consumed, m.index));
        consumed = m.index + m[0].length;
      }
      buffer = buffer.slice(consumed);
    }

    try {
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        drain(false);
      }
      finished = true;
      buffer += decoder.decode();
      drain(true);
      if (buffer) line(buffer);
      line("");
    } finally {
      if (!finished) reader.cancel().catch(function () {});
    }
  }

  // ------------------------------------------------------------------------------------------ state
  function freshState() {
    return { sessionId: randomId(), messages: [] };
  }

  function loadState() {
    try {
      var raw = window.sessionStorage.getItem(STORE_KEY);
      var st = raw ? JSON.parse(raw) : null;
      if (st && typeof st.sessionId === "string" && Array.isArray(st.messages)) {
        st.messages.forEach(function (m) {
          if (m.status === "streaming") {
            // the page was left while an answer was arriving
            m.status = "error";
            m.error = { code: "interrupted", message: "页面刷新时回答尚未完成，请重试。", status: 0 };
          }
        });
        return st;
      }
    } catch (_) {
      /* storage disabled or corrupt: start afresh */
    }
    return freshState();
  }

  function saveState() {
    try {
      state.messages = state.messages.slice(-60);
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (_) {
      /* storage full or disabled: the conversation just won't survive a reload */
    }
  }

  var state = loadState();
  var busy = false;
  var controller = null;
  var generation = 0; // bumped by 新对话 so a stream still running for the old conversation is ignored
  var passageCache = new Map();
  var passageOpener = null;
  var nodes = new Map(); // message id -> element

  // ------------------------------------------------------------------------------------------ DOM
  var host = document.createElement("reportqa-widget");
  [
    ["position", "fixed"],
    ["z-index", "2147483000"],
    ["top", "0"],
    ["left", "0"],
    ["width", "0"],
    ["height", "0"],
    ["margin", "0"],
    ["padding", "0"],
    ["border", "0"],
    ["display", "block"],
    ["visibility", "hidden"], // until widget.css has loaded: no flash of unstyled controls
  ].forEach(function (p) {
    host.style.setProperty(p[0], p[1], "important");
  });
  var root = host.attachShadow({ mode: "open" });

  var cssUrl = new URL("widget.css", SCRIPT_URL);
  cssUrl.search = SCRIPT_URL.search; // same cache-busting version as the script
  var link = h("link", { rel: "stylesheet", href: cssUrl.href });
  function reveal() {
    host.style.removeProperty("visibility");
  }
  link.addEventListener("load", reveal);
  link.addEventListener("error", reveal);

  var titleId = "rqa-title";
  var bubble = h("button", {
    type: "button",
    class: "rqa-bubble",
    "aria-label": "打开对话：" + TITLE,
    "aria-expanded": "false",
    "aria-controls": "rqa-panel",
    title: TITLE,
  }, [icon(["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"], 28)]);

  var newChatBtn = h("button", { type: "button", class: "rqa-new", "aria-label": "新对话（清空当前对话）" }, [
    "新对话",
  ]);
  var closeBtn = h("button", { type: "button", class: "rqa-icon-btn rqa-close", "aria-label": "关闭", title: "关闭" }, [
    icon(["M6 6l12 12M18 6L6 18"], 20),
  ]);
  var header = h("div", { class: "rqa-header" }, [
    h("h2", { class: "rqa-title", id: titleId, text: TITLE }),
    newChatBtn,
    closeBtn,
  ]);

  var list = h("div", {
    class: "rqa-list",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions text",
    "aria-label": "对话记录",
    tabindex: "0",
  });
  var input = h("textarea", {
    class: "rqa-input",
    rows: "1",
    "aria-label": "输入问题",
    placeholder: "输入问题，Enter 发送",
    title: "Enter 发送，Shift+Enter 换行",
  });
  var sendBtn = h("button", { type: "submit", class: "rqa-send", "aria-label": "发送" }, ["发送"]);
  var composer = h("form", { class: "rqa-composer", "aria-label": "提问" }, [input, sendBtn]);
  var chatView = h("div", { class: "rqa-chat" }, [list, composer]);

  var passageBack = h("button", { type: "button", class: "rqa-back", "aria-label": "返回对话" }, ["‹ 返回"]);
  var passageHeading = h("span", { class: "rqa-passage-heading", text: "原文出处" });
  var passageBody = h("div", { class: "rqa-passage-body", tabindex: "0", role: "region", "aria-label": "原文" });
  var passageView = h("div", { class: "rqa-passage", hidden: true, role: "region", "aria-label": "原文出处" }, [
    h("div", { class: "rqa-passage-bar" }, [passageBack, passageHeading]),
    passageBody,
  ]);

  var panel = h("div", {
    class: "rqa-panel",
    id: "rqa-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": titleId,
    hidden: true,
  }, [header, h("div", { class: "rqa-body" }, [chatView, passageView])]);

  root.append(link, h("div", { class: "rqa-root" }, [bubble, panel]));

  function mount() {
    (document.body || document.documentElement).appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // ------------------------------------------------------------------------------------------ open / close
  function isOpen() {
    return !panel.hidden;
  }

  function open() {
    if (isOpen()) return;
    panel.hidden = false;
    bubble.hidden = true;
    bubble.setAttribute("aria-expanded", "true");
    scrollToEnd(true);
    input.focus();
  }

  function close() {
    if (!isOpen()) return;
    closePassage(false);
    panel.hidden = true;
    bubble.hidden = false;
    bubble.setAttribute("aria-expanded", "false");
    bubble.focus();
  }

  bubble.addEventListener("click", open);
  closeBtn.addEventListener("click", close);
  root.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !isOpen()) return;
    e.preventDefault();
    e.stopPropagation();
    if (!passageView.hidden) closePassage(true);
    else close();
  });

  // ------------------------------------------------------------------------------------------ composer
  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }
  input.addEventListener("input", autosize);
  input.addEventListener("keydown", function (e) {
    // Enter during IME composition (pinyin) picks a candidate; it must not send
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  composer.addEventListener("submit", function (e) {
    e.preventDefault();
    submit();
  });

  function submit() {
    var q = input.value.trim();
    if (!q || busy) return;
    input.value = "";
    autosize();
    ask(q, false);
  }

  function setBusy(value) {
    busy = value;
    sendBtn.disabled = value;
    list.setAttribute("aria-busy", value ? "true" : "false");
  }

  newChatBtn.addEventListener("click", function () {
    generation++;
    if (controller) controller.abort();
    setBusy(false);
    state = freshState();
    saveState();
    nodes.clear();
    list.replaceChildren();
    closePassage(false);
    renderWelcome();
    input.value = "";
    autosize();
    input.focus();
  });

  // ------------------------------------------------------------------------------------------ messages
  function renderWelcome() {
    if (state.messages.length) return;
    list.append(
      h("div", { class: "rqa-welcome" }, [
        h("p", { text: "您好！请就已收录的政府工作报告提问，回答会附上原文出处。" }),
        h("p", { class: "rqa-hint", text: "例如：某区某年办理了多少件行政复议案件？可以继续追问。" }),
      ])
    );
  }

  function nearEnd() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function scrollToEnd(force) {
    if (force || nearEnd()) list.scrollTop = list.scrollHeight;
  }

  var LONG_QUESTION = 300;

  function renderUser(msg) {
    var text = h("div", { class: "rqa-bubble-text" });
    var content = msg.content || "";
    if (content.length <= LONG_QUESTION) {
      text.textContent = content;
    } else {
      // a pasted wall of text would push the whole conversation out of view: show its start, expand on demand
      text.textContent = content.slice(0, LONG_QUESTION) + "…";
      var more = h("button", { type: "button", class: "rqa-more" }, [
        "展开全文（" + content.length + "字）",
      ]);
      more.addEventListener("click", function () {
        text.textContent = content;
        more.remove();
      });
      text.append(" ", more);
    }
    return h("div", { class: "rqa-msg rqa-msg--user", "data-id": msg.id }, [h("span", { class: "rqa-sr", text: "我：" }), text]);
  }

  function renderAnswerText(container, text, citations) {
    var re = /\[(\d{1,3})\]/g;
    var last = 0;
    var m;
    while ((m = re.exec(text))) {
      var n = Number(m[1]);
      var c = citations[n - 1];
      if (!c) continue;
      container.append(text.slice(last, m.index), chip(n, c));
      last = re.lastIndex;
    }
    container.append(text.slice(last));
  }

  function chip(n, c) {
    var b = h("button", {
      type: "button",
      class: "rqa-chip",
      "data-cite": String(n),
      "aria-label": "查看出处 " + n + "：" + sectionLabel(c),
      title: sectionLabel(c),
    }, [String(n)]);
    b.addEventListener("click", function () {
      openPassage(c, b);
    });
    return b;
  }

  function renderAssistant(msg, isLast) {
    var el = h("div", { class: "rqa-msg rqa-msg--bot", "data-id": msg.id, "data-status": msg.status });
    el.append(h("span", { class: "rqa-sr", text: TITLE + "：" }));

    if (msg.status === "streaming") {
      el.setAttribute("aria-busy", "true");
      var text = h("div", { class: "rqa-answer rqa-answer--streaming", "data-deltas": String(msg.deltas || 0) });
      if (msg.content) text.textContent = msg.content;
      else text.append(h("span", { class: "rqa-typing", text: "正在检索报告…" }));
      el.append(text);
      return el;
    }

    if (msg.status === "error") {
      el.classList.add("rqa-msg--error");
      el.setAttribute("role", "alert");
      var err = msg.error || {};
      el.append(
        h("div", { class: "rqa-error-title", text: headline(err) }),
        h("div", { class: "rqa-error-message", text: err.message || "出错了" })
      );
      if (isLast) {
        var retry = h("button", { type: "button", class: "rqa-retry", "aria-label": "重试：重新发送这个问题" }, [
          "重试",
        ]);
        retry.addEventListener("click", function () {
          retryMessage(msg);
        });
        el.append(retry);
      }
      return el;
    }

    var citations = Array.isArray(msg.citations) ? msg.citations : [];
    if (msg.answerable === false) {
      el.classList.add("rqa-msg--refusal");
      el.append(h("div", { class: "rqa-note", text: "报告中未找到确切答案" }));
    }
    var answer = h("div", { class: "rqa-answer", "data-deltas": String(msg.deltas || 0) });
    renderAnswerText(answer, msg.content || "", citations);
    el.append(answer);

    if (citations.length) {
      var ol = h("ol", { class: "rqa-sources", "aria-label": "出处" });
      citations.forEach(function (c, i) {
        var b = h("button", { type: "button", class: "rqa-source", "aria-label": "查看出处 " + (i + 1) + "：" + sectionLabel(c) }, [
          h("span", { class: "rqa-source-n", text: "[" + (i + 1) + "]" }),
          " ",
          h("span", { class: "rqa-source-title", text: c.title || c.source || "报告" }),
          Array.isArray(c.section) && c.section.length
            ? h("span", { class: "rqa-source-path", text: " › " + c.section.join(" › ") })
            : null,
        ]);
        b.addEventListener("click", function () {
          openPassage(c, b);
        });
        ol.append(h("li", null, [b]));
      });
      el.append(ol);
    }
    el.append(renderFeedback(msg));
    return el;
  }

  function renderFeedback(msg) {
    var status = h("span", { class: "rqa-feedback-status", role: "status" });
    // thumbs drawn as SVG: an emoji font is not on every intranet PC
    var up = h("button", { type: "button", class: "rqa-fb", "data-rating": "up", "aria-label": "有帮助", title: "有帮助" }, [
      icon([THUMB], 16),
    ]);
    var down = h("button", { type: "button", class: "rqa-fb rqa-fb--down", "data-rating": "down", "aria-label": "没有帮助", title: "没有帮助" }, [
      icon([THUMB], 16),
    ]);
    function mark() {
      [up, down].forEach(function (b) {
        var on = msg.rated === b.getAttribute("data-rating");
        b.setAttribute("aria-pressed", on ? "true" : "false");
        b.disabled = Boolean(msg.rated);
      });
      if (msg.rated) status.textContent = "感谢反馈";
    }
    [up, down].forEach(function (b) {
      b.addEventListener("click", function () {
        sendFeedback(msg, b.getAttribute("data-rating"), status, mark);
      });
    });
    mark();
    return h("div", { class: "rqa-feedback" }, [up, down, status]);
  }

  async function sendFeedback(msg, rating, status, mark) {
    if (msg.rated) return;
    status.textContent = "正在提交…";
    try {
      var res = await fetch(ENDPOINT + "/api/feedback", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: Object.assign({ "Content-Type": "application/json" }, headers(true)),
        body: JSON.stringify({
          rating: rating,
          question: msg.question || "",
          answer: msg.content || "",
          citations: msg.citations || [],
          session_id: state.sessionId,
        }),
      });
      if (!res.ok) throw await httpError(res);
      msg.rated = rating;
      saveState();
      mark();
    } catch (err) {
      status.textContent = "反馈提交失败：" + asWidgetError(err).message;
    }
  }

  function place(msg) {
    var isLast = state.messages[state.messages.length - 1] === msg;
    var el = msg.role === "user" ? renderUser(msg) : renderAssistant(msg, isLast);
    var old = nodes.get(msg.id);
    if (old && old.parentNode === list) list.replaceChild(el, old);
    else list.append(el);
    nodes.set(msg.id, el);
    return el;
  }

  function renderAll() {
    list.replaceChildren();
    nodes.clear();
    renderWelcome();
    state.messages.forEach(place);
  }

  function dropRetryButtons() {
    list.querySelectorAll(".rqa-retry").forEach(function (b) {
      b.remove();
    });
  }

  /** The turns before messages[end]: only questions that got an answer, newest last, within the body limit. */
  function historyBefore(end) {
    var turns = [];
    for (var i = 0; i + 1 < end; i++) {
      var u = state.messages[i];
      var a = state.messages[i + 1];
      if (u.role === "user" && a.role === "assistant" && a.status === "done") {
        turns.push({ role: "user", content: u.content.slice(0, MAX_TURN_CHARS) });
        turns.push({ role: "assistant", content: (a.content || "").slice(0, MAX_TURN_CHARS) });
        i++;
      }
    }
    return turns.slice(-MAX_HISTORY_TURNS);
  }

  function chatBody(question, history) {
    var body = { question: question, history: history, session_id: state.sessionId, stream: true };
    var enc = new TextEncoder();
    while (body.history.length && enc.encode(JSON.stringify(body)).length > MAX_BODY_BYTES) {
      body.history = body.history.slice(2);
    }
    return JSON.stringify(body);
  }

  function retryMessage(msg) {
    if (busy) return;
    var i = state.messages.indexOf(msg);
    if (i < 0) return;
    state.messages.splice(i, 1);
    var el = nodes.get(msg.id);
    if (el) el.remove();
    nodes.delete(msg.id);
    ask(msg.question, true);
  }

  async function ask(question, isRetry) {
    var welcome = list.querySelector(".rqa-welcome");
    if (welcome) welcome.remove();
    dropRetryButtons();
    if (!isRetry) {
      var user = { id: randomId(), role: "user", content: question };
      state.messages.push(user);
      place(user);
    }
    var history = historyBefore(state.messages.length - 1);
    var msg = {
      id: randomId(),
      role: "assistant",
      status: "streaming",
      question: question,
      content: "",
      citations: [],
      answerable: true,
      deltas: 0,
    };
    state.messages.push(msg);
    place(msg);
    saveState();
    scrollToEnd(true);

    var mine = ++generation;
    controller = new AbortController();
    setBusy(true);
    var textEl = null;

    function streamText() {
      if (!textEl) {
        textEl = nodes.get(msg.id).querySelector(".rqa-answer");
        textEl.replaceChildren();
      }
      textEl.textContent = msg.content;
      textEl.setAttribute("data-deltas", String(msg.deltas));
      scrollToEnd(false);
    }

    function finish(result) {
      msg.status = "done";
      msg.content = typeof result.answer === "string" ? result.answer : msg.content;
      msg.answerable = result.answerable !== false;
      if (Array.isArray(result.citations)) msg.citations = result.citations;
    }

    try {
      var res = await fetch(ENDPOINT + "/api/chat", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: Object.assign({ "Content-Type": "application/json" }, headers(false)),
        body: chatBody(question, history),
        signal: controller.signal,
      });
      if (!res.ok) throw await httpError(res);
      var type = res.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") < 0 || !res.body) {
        finish(await res.json());
      } else {
        await readEvents(res.body, function (event, raw) {
          if (mine !== generation) throw new WidgetError("aborted", "", 0);
          var data;
          try {
            data = JSON.parse(raw);
          } catch (_) {
            return; // not ours
          }
          if (event === "delta" && typeof data.text === "string") {
            msg.content += data.text;
            msg.deltas += 1;
            streamText();
          } else if (event === "reset") {
            msg.content = "";
            streamText();
          } else if (event === "citations" && Array.isArray(data.citations)) {
            msg.citations = data.citations;
          } else if (event === "done") {
            finish(data);
          } else if (event === "error") {
            throw new WidgetError(data.code || "stream_error", data.message || "回答生成失败", 500);
          }
        });
      }
      if (msg.status !== "done") throw new WidgetError("incomplete", "回答中断了，请重试。", 0);
    } catch (err) {
      if (mine !== generation) return; // 新对话 was pressed: this answer belongs to a cleared conversation
      var e = asWidgetError(err);
      msg.status = "error";
      msg.error = { code: e.code, message: e.message, status: e.status };
    } finally {
      if (mine === generation) {
        controller = null;
        setBusy(false);
      }
    }
    if (mine !== generation) return;
    saveState();
    var stick = nearEnd();
    place(msg);
    scrollToEnd(stick);
  }

  // ------------------------------------------------------------------------------------------ passage view
  function codePoints(s) {
    return Array.from(s); // the server's offsets count code points, JavaScript strings count UTF-16 units
  }

  async function fetchPassage(c) {
    var key = c.report_id + ":" + c.start + ":" + c.end;
    if (passageCache.has(key)) return passageCache.get(key);
    var url =
      ENDPOINT +
      "/api/reports/" +
      encodeURIComponent(c.report_id) +
      "/passage?start=" +
      encodeURIComponent(c.start) +
      "&end=" +
      encodeURIComponent(c.end);
    var res = await fetch(url, { mode: "cors", credentials: "omit", headers: headers(true) });
    if (!res.ok) throw await httpError(res);
    var data = await res.json();
    passageCache.set(key, data);
    return data;
  }

  function renderPassage(p, c) {
    var title = p.title || c.title || "报告";
    var path = Array.isArray(p.section) && p.section.length ? p.section : c.section || [];
    var text = h("div", { class: "rqa-passage-text" });
    var chars = codePoints(p.section_text || "");
    var from = p.start - p.section_start;
    var to = p.end - p.section_start;
    var quote = p.quote || c.quote || "";
    var before, marked, after;
    if (from >= 0 && to <= chars.length && chars.slice(from, to).join("") === quote) {
      before = chars.slice(0, from).join("");
      marked = quote;
      after = chars.slice(to).join("");
    } else {
      var all = chars.join("");
      var at = quote ? all.indexOf(quote) : -1;
      before = at < 0 ? all : all.slice(0, at);
      marked = at < 0 ? "" : quote;
      after = at < 0 ? "" : all.slice(at + quote.length);
    }
    var mark = marked ? h("mark", { class: "rqa-quote", text: marked }) : null;
    text.append(before, mark || "", after);
    var parts = [h("h3", { class: "rqa-passage-title", text: title })];
    if (path.length) parts.push(h("p", { class: "rqa-passage-path", text: path.join(" › ") }));
    if (!mark && quote) parts.push(h("blockquote", { class: "rqa-passage-quote" }, [h("mark", { text: quote })]));
    parts.push(text);
    passageBody.replaceChildren.apply(passageBody, parts);
    if (mark) {
      // centre the quote in the scrolling body, without scrolling the host page
      var top = mark.offsetTop - passageBody.clientHeight / 3;
      passageBody.scrollTop = Math.max(0, top);
    }
  }

  async function openPassage(c, opener) {
    passageOpener = opener || null;
    passageView.hidden = false;
    chatView.inert = true;
    chatView.setAttribute("aria-hidden", "true");
    passageBody.scrollTop = 0;
    passageBody.replaceChildren(h("p", { class: "rqa-loading", text: "正在加载原文…" }));
    passageBack.focus();
    var token = {};
    openPassage.current = token;
    try {
      var p = await fetchPassage(c);
      if (openPassage.current !== token || passageView.hidden) return;
      renderPassage(p, c);
    } catch (err) {
      if (openPassage.current !== token || passageView.hidden) return;
      var e = asWidgetError(err);
      var retry = h("button", { type: "button", class: "rqa-retry", "aria-label": "重试：重新加载原文" }, ["重试"]);
      retry.addEventListener("click", function () {
        openPassage(c, opener);
      });
      passageBody.replaceChildren(
        h("div", { class: "rqa-msg rqa-msg--error", role: "alert" }, [
          h("div", { class: "rqa-error-title", text: "原文加载失败：" + headline(e) }),
          h("div", { class: "rqa-error-message", text: e.message }),
          retry,
        ])
      );
    }
  }

  function closePassage(refocus) {
    if (passageView.hidden) return;
    openPassage.current = null;
    passageView.hidden = true;
    chatView.inert = false;
    chatView.removeAttribute("aria-hidden");
    passageBody.replaceChildren();
    if (refocus) {
      if (passageOpener && passageOpener.isConnected) passageOpener.focus();
      else input.focus();
    }
    passageOpener = null;
  }

  passageBack.addEventListener("click", function () {
    closePassage(true);
  });

  // ------------------------------------------------------------------------------------------ start
  renderAll();
  window.ReportQAWidget = { open: open, close: close };
})();
