/*
 * Runs in the chat page's <head>, before Gradio's own code (server/page.py inlines it there).
 * - The page is Chinese whatever the browser's language: Gradio picks its UI strings and sets
 *   <html lang> from navigator.language, so that reads zh-CN here.
 * - 长辈模式 (larger text, larger targets, a simpler page) is switched by #pb-elder and remembered
 *   in this device's localStorage.
 * - Controls Gradio names in English (copy buttons, the message log) get Chinese names.
 */
(function () {
  "use strict";
  var LANG = "zh-CN";
  var ELDER_KEY = "policybot-elder";
  var root = document.documentElement;

  try {
    Object.defineProperty(Navigator.prototype, "language", { get: function () { return LANG; }, configurable: true });
    Object.defineProperty(Navigator.prototype, "languages", { get: function () { return [LANG, "zh"]; }, configurable: true });
  } catch (e) { /* an old browser: the server-side lang attribute still holds */ }
  root.lang = LANG;

  function elderOn() {
    try { return localStorage.getItem(ELDER_KEY) === "1"; } catch (e) { return false; }
  }
  function showElder(on) {
    root.classList.toggle("pb-elder", on);
    var button = document.getElementById("pb-elder");
    if (button) button.setAttribute("aria-checked", on ? "true" : "false");
  }
  showElder(elderOn());
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("#pb-elder");
    if (!button) return;
    var on = button.getAttribute("aria-checked") !== "true";
    try { localStorage.setItem(ELDER_KEY, on ? "1" : "0"); } catch (e) { /* private mode: this page view only */ }
    showElder(on);
  });

  // Gradio's English accessible names → Chinese. A message's name would otherwise be its raw HTML.
  var NAMES = [
    [/^Copy message$/i, "复制这条消息"],
    [/^Copy$/i, "复制"],
    [/^Copied( message)?!?$/i, "已复制"],
    [/^chatbot conversation$/i, "对话记录"],
    [/^user's message/i, "您的问题"],
    [/^bot's message/i, "回答"],
    [/^Scroll down$/i, "滚动到最新消息"],
    [/^Clear$/i, "清空"],
    [/^More tabs$/i, "更多栏目"],
  ];
  function rename(node) {
    var label = node.getAttribute("aria-label");
    if (!label) return;
    for (var i = 0; i < NAMES.length; i++) {
      if (NAMES[i][0].test(label)) {
        if (label !== NAMES[i][1]) node.setAttribute("aria-label", NAMES[i][1]);
        return;
      }
    }
  }
  function sweep(scope) {
    if (scope.nodeType !== 1) return;
    if (scope.hasAttribute("aria-label")) rename(scope);
    var labelled = scope.querySelectorAll("[aria-label]");
    for (var i = 0; i < labelled.length; i++) rename(labelled[i]);
    if (scope.id === "pb-elder" || scope.querySelector("#pb-elder")) showElder(elderOn());
    // The footer's icons repeat the word beside them: decorative, so screen readers say it once.
    var icons = scope.querySelectorAll("footer img[alt]");
    for (var j = 0; j < icons.length; j++) icons[j].alt = "";
  }
  // Gradio decides which tabs fit when they first render, before this page's stylesheet applies, and
  // hides the rest behind a "more" button; it decides again when the tab bar's width changes. A
  // one-frame nudge of that width, once the styles are in, lets it decide on the real sizes.
  function remeasureTabs() {
    var bars = document.querySelectorAll(".tabs");
    for (var i = 0; i < bars.length; i++) bars[i].style.width = "calc(100% - 1px)";
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { for (var i = 0; i < bars.length; i++) bars[i].style.width = ""; });
    });
  }
  var tabsSeen = false;
  var tabWatch = new MutationObserver(function () {
    if (tabsSeen || !document.querySelector(".tab-wrapper")) return;
    tabsSeen = true;
    tabWatch.disconnect();
    setTimeout(remeasureTabs, 300);
  });
  tabWatch.observe(root, { subtree: true, childList: true });
  document.addEventListener("click", function (event) {
    if (event.target && event.target.closest && event.target.closest("#pb-elder")) setTimeout(remeasureTabs, 100);
  });

  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      if (m.type === "attributes") rename(m.target);
      else m.addedNodes.forEach(sweep);
    });
  }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
})();
