/*
 * ReportQA chat widget: embed with one tag.
 *
 *   <script src="https://host/widget.js" data-endpoint="https://host" data-key="pk_..." data-title="报告问答"></script>
 *
 * data-endpoint defaults to the script's own origin, data-title to "报告问答"; data-key (the public widget key)
 * travels only in the X-Widget-Key request header. Optional: data-color (the accent colour, any CSS colour),
 * data-position ("right", the default, or "left"), data-max-length (the question limit; by default the
 * server's, from GET /api/config) and data-persist="local" (keep the conversation in localStorage, so that it
 * survives a new tab; by default it lives in sessionStorage, one tab only).
 *
 * The UI lives in an open Shadow DOM, styled by widget.css loaded from the script's own folder, so the host
 * page's CSS cannot reach it and ours cannot leak out. Its host element is a popover shown in the top layer
 * and hung on <html>, not <body>: a host page whose body has a transform (which would make position: fixed
 * relative to the body) or a huge z-index cannot bury it; every inherited property is reset inside.
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
  var COLOR = (script.getAttribute("data-color") || "").trim();
  var POSITION = /left/i.test(script.getAttribute("data-position") || "") ? "left" : "right";
  var PERSIST = (script.getAttribute("data-persist") || "").trim().toLowerCase() === "local" ? "local" : "session";
  var MAX_LENGTH_ATTR = parseInt(script.getAttribute("data-max-length") || "", 10);
  var STORE_KEY = "reportqa-widget:" + ENDPOINT;
  var MAX_HISTORY_TURNS = 12;
  var MAX_TURN_CHARS = 1500;
  var MAX_BODY_BYTES = 60000; // the server refuses bodies over 64 000 bytes
  var DEFAULT_MAX_CHARS = 2000; // until GET /api/config says otherwise
  var ORIGIN_SETTING = "REPORTQA_ALLOWED_ORIGINS";

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

  /** An error as the server (or the network) reported it; describe() turns it into what the panel shows. */
  function WidgetError(code, message, status, wait) {
    this.code = code;
    this.message = message;
    this.status = status || 0;
    this.wait = wait || 0; // seconds, from Retry-After
  }

  var THUMB = "M7 10v11H3V10h4zm0 0l4-8a2.5 2.5 0 0 1 3 3l-1 4h6a2 2 0 0 1 2 2.3l-1.4 7.5A2 2 0 0 1 17.6 21H7";
  var CJK = /[\u3400-\u9fff]/;

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
    var wait = parseInt(res.headers.get("Retry-After") || "", 10);
    return new WidgetError(code, message, res.status, wait > 0 ? wait : 0);
  }

  /** A fetch that failed without a response. The browser hides why; two probes of /healthz tell. When a CORS
   * request fails but an opaque (no-cors) one gets through, the server is up and refuses this page's origin:
   * it is not in the server's CORS allow-list. Otherwise it is the network. */
  async function networkError(err) {
    if (err instanceof WidgetError) return err;
    if (err && err.name === "AbortError") return new WidgetError("aborted", "", 0);
    var probe = { credentials: "omit", cache: "no-store" };
    try {
      await fetch(ENDPOINT + "/healthz", Object.assign({ mode: "cors" }, probe));
      return new WidgetError("network", "", 0); // CORS works: the failure was elsewhere on the way
    } catch (_) {
      /* no answer we may read: is the server there at all? */
    }
    try {
      await fetch(ENDPOINT + "/healthz", Object.assign({ mode: "no-cors" }, probe));
      return new WidgetError("forbidden_origin", "", 403);
    } catch (_) {
      return new WidgetError("network", "", 0);
    }
  }

  var warned = {};
  function warnAdmin(code) {
    if (warned[code]) return;
    warned[code] = true;
    var where = location.origin;
    if (code === "forbidden_origin") {
      console.warn(
        "[ReportQA] 问答服务 " + ENDPOINT + " 拒绝了来自 " + where + " 的请求：请管理员把 " + where +
          " 加入服务器设置 " + ORIGIN_SETTING + "（JSON 列表，例如 " + ORIGIN_SETTING + "='[\"" + where + "\"]'），然后重启服务。"
      );
    } else if (code === "unauthorized") {
      console.warn(
        "[ReportQA] 问答服务 " + ENDPOINT + " 不接受本页 <script data-key> 中的密钥：它应当与服务器设置 REPORTQA_WIDGET_KEY 相同。"
      );
    }
  }

  /** What the panel shows for an error: a Chinese title and message, and whether retrying can help. */
  function describe(err) {
    var code = err.code || "";
    var status = err.status || 0;
    var own = stripEnglish(err.message || "");
    if (code === "network") return { title: "网络错误", message: "无法连接到问答服务，请检查网络后重试。", retry: true };
    if (code === "forbidden_origin") {
      warnAdmin(code);
      return { title: "来源未授权", message: "本站点未获授权使用问答服务，请联系管理员。", retry: false };
    }
    if (status === 401 || code === "unauthorized") {
      warnAdmin("unauthorized");
      return { title: "密钥无效", message: "本站点配置的问答服务密钥无效，请联系管理员。", retry: false };
    }
    if (status === 429 || code === "rate_limited") {
      var when = err.wait ? "请 " + err.wait + " 秒后再试。" : "请稍后再试。";
      return { title: "请求太频繁", message: "提问太频繁，" + when, retry: true, wait: err.wait || 0 };
    }
    if (status === 403) return { title: "无权访问", message: "本站点无权使用此功能，请联系管理员。", retry: false };
    if (status === 413 || code === "payload_too_large") {
      return { title: "问题太长", message: "问题或对话太长，请缩短问题，或点“新对话”后再问。", retry: false };
    }
    if (code === "too_long") return { title: "问题太长", message: own, retry: false };
    if (status === 404) return { title: "未找到", message: own || "未找到所请求的内容，请刷新页面后再试。", retry: false };
    if (status === 400 || status === 422) {
      return { title: "请求有误", message: own || "请求有误，请修改问题后再发送。", retry: false };
    }
    if (code === "interrupted" || code === "incomplete") return { title: "回答中断", message: own, retry: true };
    if (status >= 500 || code === "stream_error") {
      return { title: "服务暂时不可用", message: "问答服务暂时不可用，请稍后重试。", retry: true };
    }
    return { title: "出错了", message: own || "出错了，请稍后重试。", retry: true };
  }

  /** The server's message when it is Chinese, without an English gloss such as "(question too long)"; else "". */
  function stripEnglish(message) {
    var m = String(message).replace(/\s*\([\x20-\x7e]*\)\s*$/, "").trim();
    return CJK.test(m) ? m : "";
  }

  function logError(err) {
    if (err.code !== "aborted") console.info("[ReportQA] " + (err.status || "") + " " + err.code + ": " + (err.message || ""));
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

  function storage() {
    return PERSIST === "local" ? window.localStorage : window.sessionStorage;
  }

  function loadState() {
    try {
      var raw = storage().getItem(STORE_KEY);
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
      storage().setItem(STORE_KEY, JSON.stringify(state));
    } catch (_) {
      /* storage full or disabled: the conversation just won't survive a reload */
    }
  }

  var state = loadState();
  var busy = false;
  var controller = null;
  var stopped = false; // the user pressed 停止: the abort is theirs, not an error
  var config = { maxChars: MAX_LENGTH_ATTR > 0 ? MAX_LENGTH_ATTR : DEFAULT_MAX_CHARS, suggestions: [] };
  var generation = 0; // bumped by 新对话 so a stream still running for the old conversation is ignored
  var passageCache = new Map();
  var passageOpener = null;
  var nodes = new Map(); // message id -> element

  // ------------------------------------------------------------------------------------------ DOM
  var host = document.createElement("reportqa-widget");
  // Inline !important declarations beat every rule of the host page, !important ones included. "all: initial"
  // first drops whatever the page sets on this element (a "*" rule: letter-spacing, italics, zoom, filters…).
  [
    ["all", "initial"],
    ["direction", "ltr"],
    ["position", "fixed"],
    ["z-index", "2147483000"],
    ["top", "0"],
    ["left", "0"],
    ["width", "0"],
    ["height", "0"],
    ["margin", "0"],
    ["padding", "0"],
    ["border", "0"],
    ["overflow", "visible"],
    ["background", "transparent"],
    ["display", "block"],
    ["visibility", "hidden"], // until widget.css has loaded: no flash of unstyled controls
  ].forEach(function (p) {
    host.style.setProperty(p[0], p[1], "important");
  });
  var canPopover = typeof host.showPopover === "function";
  if (canPopover) host.setAttribute("popover", "manual"); // the top layer: above any z-index, outside transforms
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
    "aria-describedby": "rqa-counter",
    placeholder: "输入问题，Enter 发送",
    title: "Enter 发送，Shift+Enter 换行",
  });
  var counter = h("span", { class: "rqa-counter", id: "rqa-counter", "aria-label": "字数" });
  var sendBtn = h("button", { type: "submit", class: "rqa-send", "aria-label": "发送" }, ["发送"]);
  var stopBtn = h("button", { type: "button", class: "rqa-stop", "aria-label": "停止生成", hidden: true }, ["停止"]);
  var composer = h("form", { class: "rqa-composer", "aria-label": "提问" }, [
    h("div", { class: "rqa-field" }, [input, counter]),
    sendBtn,
    stopBtn,
  ]);
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

  var rootEl = h("div", { class: "rqa-root rqa-root--" + POSITION }, [bubble, panel]);
  if (COLOR && window.CSS && CSS.supports("color", COLOR)) {
    rootEl.style.setProperty("--rqa-accent", COLOR);
    if (CSS.supports("color", "color-mix(in srgb, red 80%, black)")) {
      rootEl.style.setProperty("--rqa-accent-dark", "color-mix(in srgb, " + COLOR + " 78%, black)");
      rootEl.style.setProperty("--rqa-accent-soft", "color-mix(in srgb, " + COLOR + " 12%, white)");
    }
  }
  root.append(link, rootEl);

  function mount() {
    // on <html>, not <body>: a transformed body would otherwise become the containing block of position: fixed
    document.documentElement.appendChild(host);
    showOnTop();
  }

  function showOnTop() {
    if (!canPopover || !host.isConnected) return;
    try {
      if (!host.matches(":popover-open")) host.showPopover();
    } catch (_) {
      /* an old engine: position: fixed on <html> still works */
    }
  }
  // the host page may hide every popover (light dismiss of its own, a script); bring ours back
  host.addEventListener("toggle", function (e) {
    if (e.newState === "closed") setTimeout(showOnTop, 0);
  });
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
    updateCounter();
  }
  input.addEventListener("input", autosize);

  function charCount(text) {
    return Array.from(text).length; // the server counts code points
  }

  function applyLimit() {
    input.setAttribute("maxlength", String(config.maxChars));
    updateCounter();
  }

  function updateCounter() {
    var n = charCount(input.value.trim());
    counter.textContent = n + "/" + config.maxChars;
    counter.setAttribute("aria-label", "已输入 " + n + " 字，最多 " + config.maxChars + " 字");
    counter.classList.toggle("rqa-counter--near", n > config.maxChars * 0.9 && n <= config.maxChars);
    counter.classList.toggle("rqa-counter--over", n > config.maxChars);
  }
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
    var n = charCount(q);
    if (n > config.maxChars) {
      showLocalError(
        new WidgetError("too_long", "问题太长（" + n + "字），请控制在" + config.maxChars + "字以内。", 0)
      );
      return; // the text stays in the box, to be shortened
    }
    input.value = "";
    autosize();
    ask(q, false);
  }

  /** An error found before sending: shown under the conversation, the question stays in the box. */
  function showLocalError(err) {
    var old = list.querySelector(".rqa-local-error");
    if (old) old.remove();
    var d = describe(err);
    list.append(
      h("div", { class: "rqa-msg rqa-msg--error rqa-local-error", role: "alert" }, [
        h("div", { class: "rqa-error-title", text: d.title }),
        h("div", { class: "rqa-error-message", text: d.message }),
      ])
    );
    scrollToEnd(true);
  }

  function setBusy(value) {
    busy = value;
    sendBtn.disabled = value;
    sendBtn.hidden = value;
    stopBtn.hidden = !value;
    list.setAttribute("aria-busy", value ? "true" : "false");
  }

  stopBtn.addEventListener("click", function () {
    if (!busy || !controller) return;
    stopped = true;
    controller.abort();
    input.focus();
  });

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
    var welcome = h("div", { class: "rqa-welcome" }, [
      h("p", { text: "您好！请就已收录的政府工作报告提问，回答会附上原文出处，可以继续追问。" }),
    ]);
    if (config.suggestions.length) {
      var ul = h("ul", { class: "rqa-suggestions", "aria-label": "推荐问题" });
      config.suggestions.forEach(function (q) {
        var b = h("button", { type: "button", class: "rqa-suggestion", text: q });
        b.addEventListener("click", function () {
          if (!busy) ask(q, false);
        });
        ul.append(h("li", null, [b]));
      });
      welcome.append(h("p", { class: "rqa-hint", text: "可以这样问：" }), ul);
    }
    list.prepend(welcome);
  }

  /** Report text is plain text, but some reports carry Markdown emphasis (**…**) and heading marks. */
  function stripMarkdown(text) {
    return String(text).replace(/\*\*|__/g, "").replace(/^#{1,6}[ \t]+/gm, "");
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
      container.append(stripMarkdown(text.slice(last, m.index)), chip(n, c));
      last = re.lastIndex;
    }
    container.append(stripMarkdown(text.slice(last)));
  }

  function sourceLine(c, i) {
    var path = Array.isArray(c.section) && c.section.length ? " › " + c.section.join(" › ") : "";
    return "[" + (i + 1) + "] " + (c.title || c.source || "报告") + path;
  }

  /** The answer as plain text, its citations listed under it: what 复制 puts on the clipboard. */
  function plainAnswer(msg) {
    var text = stripMarkdown(msg.content || "");
    var cits = Array.isArray(msg.citations) ? msg.citations : [];
    if (!cits.length) return text;
    return (
      text +
      "\n\n出处：\n" +
      cits
        .map(function (c, i) {
          return sourceLine(c, i) + (c.quote ? "：“" + stripMarkdown(c.quote) + "”" : "");
        })
        .join("\n")
    );
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (_) {
        /* denied: try the old way */
      }
    }
    // pages on plain http (most intranets) have no Clipboard API
    var area = h("textarea", { class: "rqa-copy-buffer", readonly: true, "aria-hidden": "true" });
    area.value = text;
    rootEl.append(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_) {
      ok = false;
    }
    area.remove();
    return ok;
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
      var d = describe(msg.error || {});
      el.append(
        h("div", { class: "rqa-error-title", text: d.title }),
        h("div", { class: "rqa-error-message", text: d.message })
      );
      if (isLast && d.retry) el.append(retryButton(msg, d.wait && msg.error.at ? msg.error.at + d.wait * 1000 : 0));
      return el;
    }

    var citations = Array.isArray(msg.citations) ? msg.citations : [];
    if (msg.status === "stopped") {
      el.classList.add("rqa-msg--stopped");
      el.append(h("div", { class: "rqa-note rqa-note--stopped", text: "已停止生成" }));
    } else if (msg.answerable === false) {
      el.classList.add("rqa-msg--refusal");
      var foreign = msg.reason === "question is not in Chinese" || !CJK.test(msg.question || "");
      el.append(h("div", { class: "rqa-note", text: foreign ? "请用中文提问" : "报告中未找到确切答案" }));
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
    el.append(renderActions(msg));
    return el;
  }

  /** 重试, disabled with a countdown until `until` (ms since the epoch) when the server asked us to wait. */
  function retryButton(msg, until) {
    var retry = h("button", { type: "button", class: "rqa-retry", "aria-label": "重试：重新发送这个问题" }, ["重试"]);
    retry.addEventListener("click", function () {
      retryMessage(msg);
    });
    function tick(first) {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (!first && !retry.isConnected) return;
      if (left > 0) {
        retry.disabled = true;
        retry.textContent = "重试（" + left + "秒）";
        setTimeout(tick, 1000);
      } else {
        retry.disabled = false;
        retry.textContent = "重试";
      }
    }
    if (until) tick(true);
    return retry;
  }

  function renderActions(msg) {
    var status = h("span", { class: "rqa-feedback-status", role: "status" });
    var copy = h("button", { type: "button", class: "rqa-copy", "aria-label": "复制回答及出处", title: "复制回答及出处" }, [
      icon(["M9 9h10v12H9z", "M5 15H4V3h11v1"], 16),
      h("span", { text: "复制" }),
    ]);
    copy.addEventListener("click", async function () {
      var ok = await copyText(plainAnswer(msg));
      status.removeAttribute("data-failed");
      status.textContent = ok ? "已复制" : "复制失败，请手动选择文字复制";
    });
    var row = h("div", { class: "rqa-actions rqa-feedback" }, [copy]);
    if (msg.status !== "stopped") renderFeedback(msg, status).forEach(function (b) {
      row.append(b);
    });
    row.append(status);
    return row;
  }

  function renderFeedback(msg, status) {
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
    return [up, down];
  }

  async function sendFeedback(msg, rating, status, mark) {
    if (msg.rated) return;
    status.removeAttribute("data-failed");
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
      var e = await networkError(err);
      logError(e);
      status.setAttribute("data-failed", "");
      status.textContent = "反馈提交失败：" + describe(e).message;
    }
  }

  /** A request went through: a feedback failure shown earlier is stale now (its buttons still work). */
  function clearStaleFailures() {
    list.querySelectorAll(".rqa-feedback-status[data-failed]").forEach(function (s) {
      s.removeAttribute("data-failed");
      s.textContent = "";
    });
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
    var local = list.querySelector(".rqa-local-error");
    if (local) local.remove();
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
      msg.reason = typeof result.reason === "string" ? result.reason : null;
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
      clearStaleFailures();
    } catch (err) {
      if (mine !== generation) return; // 新对话 was pressed: this answer belongs to a cleared conversation
      if (stopped) {
        msg.status = "stopped"; // what had arrived stays, marked as incomplete
      } else {
        var e = await networkError(err);
        logError(e);
        msg.status = "error";
        msg.error = { code: e.code, message: e.message, status: e.status, wait: e.wait, at: Date.now() };
        if (!input.value.trim()) {
          input.value = question; // sending failed: the question is not lost
          autosize();
        }
      }
    } finally {
      if (mine === generation) {
        controller = null;
        stopped = false;
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
    // Markdown marks are dropped from each piece after the split, so the highlight stays on the cited span
    var mark = marked ? h("mark", { class: "rqa-quote", text: stripMarkdown(marked) }) : null;
    text.append(stripMarkdown(before), mark || "", stripMarkdown(after));
    var parts = [h("h3", { class: "rqa-passage-title", text: title })];
    if (path.length) parts.push(h("p", { class: "rqa-passage-path", text: path.join(" › ") }));
    if (!mark && quote) {
      parts.push(h("blockquote", { class: "rqa-passage-quote" }, [h("mark", { text: stripMarkdown(quote) })]));
    }
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
      var e = await networkError(err);
      if (openPassage.current !== token || passageView.hidden) return;
      logError(e);
      var d = describe(e);
      var retry = null;
      if (d.retry) {
        retry = h("button", { type: "button", class: "rqa-retry", "aria-label": "重试：重新加载原文" }, ["重试"]);
        retry.addEventListener("click", function () {
          openPassage(c, opener);
        });
      }
      passageBody.replaceChildren(
        h("div", { class: "rqa-msg rqa-msg--error", role: "alert" }, [
          h("div", { class: "rqa-error-title", text: "原文加载失败：" + d.title }),
          h("div", { class: "rqa-error-message", text: d.message }),
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

  // ------------------------------------------------------------------------------------------ config
  /** GET /api/config: the server's question limit and suggested questions. The widget works without it. */
  async function loadConfig() {
    try {
      var res = await fetch(ENDPOINT + "/api/config", { mode: "cors", credentials: "omit", headers: headers(true) });
      if (!res.ok) throw await httpError(res);
      var data = await res.json();
      if (!(MAX_LENGTH_ATTR > 0) && data.max_question_chars > 0) config.maxChars = data.max_question_chars;
      if (Array.isArray(data.suggestions)) {
        config.suggestions = data.suggestions.filter(function (q) {
          return typeof q === "string" && q;
        }).slice(0, 6);
      }
      applyLimit();
      var welcome = list.querySelector(".rqa-welcome");
      if (welcome) {
        welcome.remove();
        renderWelcome();
      }
    } catch (err) {
      var e = await networkError(err);
      logError(e);
      if (e.code === "forbidden_origin" || e.status === 401) describe(e); // tells the admin in the console now
    }
  }

  // data-persist="local": another tab's conversation shows up here too
  window.addEventListener("storage", function (e) {
    if (PERSIST !== "local" || e.key !== STORE_KEY || busy) return;
    try {
      var raw = JSON.parse(e.newValue || "null");
      var running = raw && Array.isArray(raw.messages) && raw.messages.some(function (m) {
        return m && m.status === "streaming";
      });
      if (running) return; // the other tab is still answering: wait for its final save
    } catch (_) {
      return;
    }
    state = loadState();
    renderAll();
  });

  // ------------------------------------------------------------------------------------------ start
  renderAll();
  applyLimit();
  loadConfig();
  window.ReportQAWidget = { open: open, close: close };
})();
