/*
 * policybot portal widget. One tag adds a floating chat button that opens the chat in an iframe:
 *
 *   <script src="https://policybot.example.gov.cn/embed.js" async
 *           data-title="人工智能+政策问答" data-greeting="您好！请问有什么可以帮您？"
 *           data-color="#c8102e" data-question="企业能获得哪些算力支持？"></script>
 *
 * The chat runs on the policybot server's own origin, so nothing the bot shows touches the portal
 * page; the server lets only origins in POLICYBOT_ALLOWED_ORIGINS frame it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__policybotWidget) return;
  window.__policybotWidget = true;

  var data = script.dataset;
  var base = new URL(".", script.src);
  var color = /^#[0-9a-fA-F]{3,8}$/.test(data.color || "") ? data.color : "#1a5fb4";
  var title = (data.title || "政策问答").slice(0, 40);
  var PHONE_WIDTH = 480;
  var Z = 2147483000;

  var params = new URLSearchParams({ embedded: "1", title: title, color: color });
  if (data.greeting) params.set("greeting", data.greeting.slice(0, 300));
  if (data.question) params.set("q", data.question.slice(0, 500));
  var src = new URL("embed?" + params.toString(), base).href;

  function el(tag, style, attrs) {
    var node = document.createElement(tag);
    Object.keys(style || {}).forEach(function (k) { node.style[k] = style[k]; });
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  // A speech bubble drawn with SVG: emoji fonts are missing on some office machines.
  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    var attrs = { viewBox: "0 0 24 24", width: "28", height: "28", fill: "none", stroke: "currentColor",
      "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true" };
    Object.keys(attrs).forEach(function (k) { svg.setAttribute(k, attrs[k]); });
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z");
    svg.appendChild(path);
    return svg;
  }

  var font = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";
  var button = el(
    "button",
    {
      position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px", borderRadius: "50%",
      border: "none", background: color, color: "#fff", cursor: "pointer", alignItems: "center",
      justifyContent: "center", boxShadow: "0 4px 14px rgba(0,0,0,.25)", zIndex: String(Z), padding: "0",
    },
    { type: "button", "aria-label": "打开" + title, "aria-expanded": "false", "aria-controls": "policybot-panel",
      "data-policybot": "button" }
  );
  button.appendChild(chatIcon());

  var panel = el(
    "div",
    {
      position: "fixed", display: "none", flexDirection: "column", background: "#fff", overflow: "hidden",
      boxShadow: "0 8px 30px rgba(0,0,0,.3)", zIndex: String(Z + 1), fontFamily: font,
    },
    { id: "policybot-panel", role: "dialog", "aria-label": title, "data-policybot": "panel" }
  );
  var bar = el("div", {
    display: "flex", alignItems: "center", justifyContent: "space-between", gap: "8px", padding: "10px 12px",
    background: color, color: "#fff", fontSize: "15px", fontWeight: "600", lineHeight: "1.4", flex: "0 0 auto",
  });
  var heading = el("span", { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" });
  heading.textContent = title;
  var close = el(
    "button",
    { background: "transparent", border: "none", color: "#fff", fontSize: "24px", lineHeight: "1", cursor: "pointer",
      padding: "0 4px", minWidth: "44px", minHeight: "44px" },
    { type: "button", "aria-label": "关闭", "data-policybot": "close" }
  );
  close.textContent = "×";
  bar.appendChild(heading);
  bar.appendChild(close);
  panel.appendChild(bar);
  var frame = null;

  function isPhone() { return window.innerWidth <= PHONE_WIDTH; }

  function layout() {
    var s = panel.style;
    if (isPhone()) {
      s.top = "0"; s.left = "0"; s.right = "0"; s.bottom = "0";
      s.width = "100%"; s.height = "100%"; s.borderRadius = "0";
    } else {
      s.top = "auto"; s.left = "auto"; s.right = "20px"; s.bottom = "88px";
      s.width = "380px"; s.height = "min(620px, calc(100vh - 110px))"; s.borderRadius = "12px";
    }
    // Full screen on a phone: the panel's own close button replaces the floating one.
    button.style.display = isOpen() && isPhone() ? "none" : "flex";
  }

  function isOpen() { return panel.style.display !== "none"; }

  var checked = null;  // the server's answer to "may this page frame the chat?", asked once

  function refused() {
    var box = el("div", { padding: "20px", color: "#1f2328", fontSize: "1rem", lineHeight: "1.7", overflowY: "auto" },
      { role: "alert", "data-policybot": "refused" });
    var head = el("p", { margin: "0 0 8px", fontWeight: "600" });
    head.textContent = "暂时无法在本网站打开政策问答。";
    var body = el("p", { margin: "0" });
    body.textContent = "本网站（" + location.origin + "）尚未获准嵌入问答服务。请网站管理员联系问答服务的运维人员，" +
      "在服务器的 POLICYBOT_ALLOWED_ORIGINS 中加入本网站的地址。";
    box.appendChild(head);
    box.appendChild(body);
    return box;
  }

  function addFrame() {
    // Created on first open, so the portal page loads nothing of the chat until it is wanted.
    frame = el("iframe", { border: "0", width: "100%", flex: "1 1 auto", background: "#fff" },
      { src: src, title: title, "data-policybot": "frame", referrerpolicy: "strict-origin-when-cross-origin" });
    panel.appendChild(frame);
  }

  function open() {
    if (!checked) {
      checked = fetch(new URL("embed/allowed", base).href, { mode: "cors", credentials: "omit" })
        .then(function (res) { return res.ok ? res.json() : { allowed: true }; })
        .catch(function () { return { allowed: true }; })  // an old server: let the browser decide
        .then(function (answer) {
          if (answer && answer.allowed === false) panel.appendChild(refused());
          else addFrame();
        });
    }
    panel.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
    layout();
    close.focus();
  }

  function hide() {
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    layout();
    button.focus();
  }

  button.addEventListener("click", function () { isOpen() ? hide() : open(); });
  close.addEventListener("click", hide);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape" && isOpen()) hide(); });
  // Esc pressed inside the chat frame: the frame (and only it) asks to close.
  window.addEventListener("message", function (event) {
    if (frame && event.source === frame.contentWindow && event.origin === base.origin &&
        event.data && event.data.policybot === "close" && isOpen()) hide();
  });
  window.addEventListener("resize", layout);

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    layout();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.PolicyBotWidget = { open: open, close: hide };
})();
