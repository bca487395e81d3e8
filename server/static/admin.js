// The admin page: every piece of data comes from /api/admin/* with the token, and is written with textContent only.
"use strict";
(function () {
  const STATES = { draft: "征求意见稿", in_force: "现行有效", superseded: "已被取代", withdrawn: "已撤回", expired: "已失效", auto: "按文件内容判断" };
  const ACTIONS = { added: "新增", replaced: "替换", superseded: "被取代", withdrawn: "撤回", expired: "失效", status: "设定状态", removed: "删除" };
  const $ = (id) => document.getElementById(id);
  const token = () => sessionStorage.getItem("policybot-admin-token") || "";

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function say(text, isError) {
    $("message").textContent = text;
    $("message").className = isError ? "error" : "";
  }

  async function call(method, path, body) {
    const options = { method, headers: { Authorization: "Bearer " + token() } };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401) showLogin("令牌无效，请重新输入。");
      throw new Error((data.error && data.error.message) || ("HTTP " + response.status));
    }
    return data;
  }

  function showLogin(message) {
    sessionStorage.removeItem("policybot-admin-token");
    $("panel").hidden = true;
    $("login").hidden = false;
    if (message) say(message, true);
  }

  function option(value, text) {
    const node = el("option", text);
    node.value = value;
    return node;
  }

  function renderDocuments(documents) {
    const body = $("documents").querySelector("tbody");
    body.replaceChildren();
    const selects = [$("supersedes"), $("diff-old"), $("diff-new")];
    selects.forEach((s, i) => s.replaceChildren(...(i === 0 ? [option("", "（不替代其他文件）")] : [])));
    for (const doc of documents) {
      const row = el("tr");
      row.dataset.id = doc.id;
      if (!["draft", "in_force"].includes(doc.status)) row.className = "inactive";
      const title = el("td");
      title.append(el("div", doc.title), el("small", doc.id));
      const status = el("td");
      status.append(el("div", doc.status_label, "status-" + doc.status), el("small", doc.status_reason));
      row.append(title, el("td", doc.issuer || "—"), el("td", doc.date || "—"), el("td", doc.doc_number || "—"), status,
        el("td", doc.jurisdiction || "—"), el("td", doc.clauses), el("td", doc.source), el("td", doc.ingested_at || "—"));
      const actions = el("td");
      const choose = el("select");
      choose.setAttribute("aria-label", "状态");
      for (const [key, label] of Object.entries(STATES)) choose.append(option(key, label));
      choose.value = doc.status_set_by_admin ? doc.status : "auto";
      const apply = el("button", "设定状态");
      apply.type = "button";
      apply.addEventListener("click", () => setStatus(doc, choose.value));
      const remove = el("button", "删除");
      remove.type = "button";
      remove.addEventListener("click", () => removeDocument(doc));
      actions.append(choose, apply, remove);
      row.append(actions);
      body.append(row);
      for (const s of selects) s.append(option(doc.id, doc.title + "（" + doc.status_label + "）"));
    }
  }

  function renderAudit(entries) {
    const list = $("audit");
    list.replaceChildren();
    for (const entry of entries.slice().reverse()) {
      const extra = entry.status ? "：" + (STATES[entry.status] || entry.status) : "";
      list.append(el("li", entry.time + "  " + (ACTIONS[entry.action] || entry.action) + extra + "  《" + entry.title + "》  " + entry.actor));
    }
  }

  async function refresh() {
    const [documents, audit] = await Promise.all([call("GET", "/api/admin/documents"), call("GET", "/api/admin/audit")]);
    renderDocuments(documents.documents);
    renderAudit(audit.entries);
  }

  async function run(action, done) {
    try {
      await action();
      if (done) say(done, false);
      await refresh();
    } catch (error) {
      say(error.message, true);
    }
  }

  function setStatus(doc, status) {
    run(() => call("POST", "/api/admin/documents/" + encodeURIComponent(doc.id) + "/status", { status }),
      "《" + doc.title + "》状态已设为：" + STATES[status]);
  }

  function removeDocument(doc) {
    if (!window.confirm("确定从索引中删除《" + doc.title + "》吗？此操作会写入变更记录。")) return;
    run(() => call("DELETE", "/api/admin/documents/" + encodeURIComponent(doc.id)), "已删除《" + doc.title + "》");
  }

  function renderDiff(diff) {
    const box = $("diff-result");
    box.replaceChildren();
    const labels = { changed: "修改", added: "新增", removed: "删除" };
    box.append(el("p", "《" + diff.old.title + "》 → 《" + diff.new.title + "》：" + diff.changes.length + " 处变化，" + diff.unchanged + " 条未变"));
    for (const change of diff.changes) {
      const item = el("div", null, "change");
      item.append(el("strong", labels[change.kind] + "：" + (change.new || change.old).clause));
      if (change.old) item.append(el("blockquote", "旧 " + change.old.clause + "：" + change.old.text));
      if (change.new) item.append(el("blockquote", "新 " + change.new.clause + "：" + change.new.text));
      const notes = [];
      if (change.figures_removed.length || change.figures_added.length) notes.push("数字 " + (change.figures_removed.join("、") || "—") + " → " + (change.figures_added.join("、") || "—"));
      if (change.agencies_removed.length || change.agencies_added.length) notes.push("部门 " + (change.agencies_removed.join("、") || "—") + " → " + (change.agencies_added.join("、") || "—"));
      if (notes.length) item.append(el("div", notes.join("；")));
      box.append(item);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      sessionStorage.setItem("policybot-admin-token", $("token").value.trim());
      $("token").value = "";
      try {
        await refresh();
        $("login").hidden = true;
        $("panel").hidden = false;
        say("", false);
      } catch (error) {
        showLogin(error.message);
      }
    });
    $("refresh").addEventListener("click", () => run(() => Promise.resolve()));
    $("logout").addEventListener("click", () => showLogin(""));
    $("upload-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData();
      form.append("file", $("file").files[0]);
      if ($("supersedes").value) form.append("supersedes", $("supersedes").value);
      run(async () => {
        const result = await call("POST", "/api/admin/ingest", form);
        say(result.ingested.map((d) => "《" + d.title + "》：" + d.status).join("；"), false);
      });
    });
    $("diff-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = "?old=" + encodeURIComponent($("diff-old").value) + "&new=" + encodeURIComponent($("diff-new").value);
      call("GET", "/api/admin/diff" + query).then(renderDiff, (error) => say(error.message, true));
    });
    if (token()) {
      refresh().then(() => { $("login").hidden = true; $("panel").hidden = false; }, () => showLogin(""));
    }
  });
})();
