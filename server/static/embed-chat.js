/*
 * The /embed chat page: asks POST api/ask and shows the answer with its numbered sources.
 * Everything from a question or a document is put on the page with textContent only, never as
 * HTML, so a clause that contains <script> or an onerror= attribute shows as text.
 */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var log = document.getElementById("pb-log");
  var form = document.getElementById("pb-form");
  var input = document.getElementById("pb-input");
  var send = document.getElementById("pb-send");
  var history = [];
  var MAX_HISTORY = 20;
  var GREETING = "您好！我可以回答有关《浙江省“人工智能+”行动计划》的问题，例如某个领域由哪些部门负责、企业能获得哪些支持、目标和时间安排，并引用原文条款。";

  var color = params.get("color");
  if (color && /^#[0-9a-fA-F]{3,8}$/.test(color)) document.documentElement.style.setProperty("--pb-color", color);
  var title = params.get("title");
  if (title) {
    document.title = title;
    document.getElementById("pb-title").textContent = title;
  }
  if (params.get("embedded") === "1") document.body.classList.add("embedded");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // **bold** and *emphasis* inside one line, as elements holding text.
  function appendInline(parent, line) {
    line.split(/(\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/).forEach(function (part) {
      if (!part) return;
      if (/^\*\*[^*]+\*\*$/.test(part)) parent.appendChild(el("strong", "", part.slice(2, -2)));
      else if (/^\*[^*]+\*$/.test(part)) parent.appendChild(el("em", "", part.slice(1, -1)));
      else parent.appendChild(document.createTextNode(part));
    });
  }

  // The bot's Markdown is paragraphs, "> " quotes and "- " items; anything else stays text.
  function renderMarkdown(text) {
    var box = el("div", "pb-text");
    var quote = null;
    var list = null;
    text.split("\n").forEach(function (line) {
      var m;
      if ((m = /^\s*>\s?(.*)$/.exec(line))) {
        list = null;
        if (!quote) quote = box.appendChild(el("blockquote"));
        var p = quote.appendChild(el("p"));
        appendInline(p, m[1]);
      } else if ((m = /^\s*[-*]\s+(.*)$/.exec(line))) {
        quote = null;
        if (!list) list = box.appendChild(el("ul"));
        appendInline(list.appendChild(el("li")), m[1]);
      } else if (line.trim()) {
        quote = null;
        list = null;
        appendInline(box.appendChild(el("p")), line);
      } else {
        quote = null;
        list = null;
      }
    });
    return box;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function addMessage(role, node) {
    var msg = el("div", "pb-msg pb-" + role);
    msg.appendChild(node);
    log.appendChild(msg);
    scrollDown();
    return msg;
  }

  function renderCitations(citations) {
    var box = el("div", "pb-sources");
    box.appendChild(el("p", "pb-sources-title", "引用条款"));
    var list = box.appendChild(el("ol"));
    citations.forEach(function (c) {
      var item = list.appendChild(el("li"));
      var details = item.appendChild(el("details"));
      var summary = details.appendChild(el("summary"));
      var docTitle = c.doc_title && c.doc_title.charAt(0) === "《" ? c.doc_title : "《" + (c.doc_title || "未命名文件") + "》";
      summary.appendChild(el("strong", "", docTitle));
      if (c.clause) summary.appendChild(document.createTextNode(" " + c.clause));
      if (c.page !== null && c.page !== undefined) summary.appendChild(document.createTextNode(" · 第 " + c.page + " 页"));
      details.appendChild(el("blockquote", "pb-quote", "“" + (c.quote || "") + "”"));
      if (c.source) details.appendChild(el("p", "pb-file", "文件：" + c.source));
    });
    return box;
  }

  function feedbackBar(question, answer) {
    var bar = el("div", "pb-feedback");
    var up = bar.appendChild(el("button", "", "有帮助"));
    var down = bar.appendChild(el("button", "", "没帮助"));
    up.type = down.type = "button";
    function rate(rating) {
      up.disabled = down.disabled = true;
      fetch(new URL("api/feedback", location.href), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          rating: rating, question: question, answer: answer.answer, citations: answer.citations || [], channel: "embed",
        }),
      }).then(function (res) {
        bar.appendChild(el("span", "pb-thanks", res.ok ? "感谢反馈" : "反馈未能提交"));
      }).catch(function () {
        bar.appendChild(el("span", "pb-thanks", "反馈未能提交"));
      });
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () { rate("down"); });
    return bar;
  }

  function showAnswer(pending, question, answer) {
    pending.textContent = "";
    pending.classList.remove("pb-pending");
    pending.appendChild(renderMarkdown(answer.answer || ""));
    if (answer.citations && answer.citations.length) pending.appendChild(renderCitations(answer.citations));
    pending.appendChild(feedbackBar(question, answer));
    scrollDown();
  }

  function showError(pending, message) {
    pending.textContent = "";
    pending.classList.remove("pb-pending");
    pending.classList.add("pb-error");
    pending.appendChild(el("p", "", "⚠️ " + message));
  }

  function busy(on) {
    send.disabled = on;
    input.readOnly = on;
  }

  function ask(question) {
    question = question.trim();
    if (!question || send.disabled) return;
    addMessage("user", el("p", "", question));
    var pending = addMessage("bot", el("p", "", "正在查找相关条款…"));
    pending.classList.add("pb-pending");
    busy(true);
    fetch(new URL("api/ask", location.href), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, history: history.slice(-MAX_HISTORY) }),
    })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (body) {
          if (res.ok && body) {
            showAnswer(pending, question, body);
            history.push({ role: "user", content: question }, { role: "assistant", content: body.answer || "" });
          } else if (res.status === 429) {
            showError(pending, "提问太频繁，请 " + (res.headers.get("Retry-After") || "稍后") + " 秒后再试。");
          } else {
            showError(pending, (body && body.error && body.error.message) || "请求失败（" + res.status + "），请稍后再试。");
          }
        });
      })
      .catch(function () { showError(pending, "网络连接失败，请稍后再试。"); })
      .then(function () { busy(false); input.focus(); });
  }

  function greet() {
    addMessage("bot", renderMarkdown(params.get("greeting") || GREETING)).classList.add("pb-greeting");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.getElementById("pb-clear").addEventListener("click", function () {
    history = [];
    log.textContent = "";
    greet();
    input.focus();
  });

  // Esc closes the widget even while the visitor types in here: keys pressed inside this frame never
  // reach the portal page, so the frame asks the widget (embed.js, on the parent page) to close.
  if (window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.isComposing) window.parent.postMessage({ policybot: "close" }, "*");
    });
  }

  greet();
  var initial = params.get("q");
  if (initial) ask(initial);
})();
