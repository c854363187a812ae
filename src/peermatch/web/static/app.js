/* peermatch workspace: shared helpers and the run progress page.
 * No inline script anywhere (the CSP is script-src 'self'): pages carry data-* attributes
 * and this file wires them up. */
"use strict";

window.peermatch = (function () {
  /** Call the JSON API; resolves to {status, body} whatever the status. */
  async function api(method, path, body) {
    const options = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const answer = await fetch("/api/v1" + path, options);
    let data = null;
    const type = answer.headers.get("Content-Type") || "";
    if (type.indexOf("json") >= 0) {
      data = await answer.json();
    } else {
      data = { detail: await answer.text() };
    }
    return { status: answer.status, body: data };
  }

  /** A number for people: "12,345" or "1.23" or "–". */
  function figure(value, digits) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return value.toLocaleString("en");
    return value.toFixed(digits === undefined ? 2 : digits);
  }

  /** The message of an API error body. */
  function detail(body) {
    if (!body) return "no answer";
    if (typeof body.detail === "string") return body.detail;
    if (body.detail) return JSON.stringify(body.detail);
    if (body.problems) return body.problems.map(function (p) { return p.message; }).join("; ");
    return JSON.stringify(body);
  }

  return { api: api, figure: figure, detail: detail };
})();

(function () {
  const section = document.getElementById("progress");
  if (!section) return;
  const runId = section.dataset.run;
  const finished = ["done", "failed", "cancelled"];
  const field = function (name) { return section.querySelector('[data-field="' + name + '"]'); };
  const stop = document.getElementById("stop-run");
  let source = null;

  function show(state) {
    if (!state) return;
    field("status").textContent = state.status || "";
    field("phase").textContent = state.phase ? "· " + state.phase : "";
    field("message").textContent = state.message ? "· " + state.message : "";
    const elapsed = Number(state.elapsed || 0);
    const limit = Number(state.limit || 0);
    field("elapsed").textContent = elapsed.toFixed(1) + " s";
    field("limit").textContent = limit ? window.peermatch.figure(limit, 0) : "";
    const bar = document.getElementById("run-elapsed-bar");
    if (limit > 0) { bar.max = limit; bar.value = Math.min(elapsed, limit); }
    field("objective").textContent = window.peermatch.figure(state.objective, 0);
    field("bound").textContent = window.peermatch.figure(state.bound, 0);
    field("gap").textContent = state.gap === null || state.gap === undefined
      ? "–" : (100 * Number(state.gap)).toFixed(2) + " %";
    const status = document.getElementById("run-status");
    status.className = "status status-" + (state.status === "done" ? "feasible"
      : (state.status === "failed" ? "invalid" : "running"));
    const diagnosis = document.getElementById("run-diagnosis");
    if (Array.isArray(state.diagnosis) && state.diagnosis.length) {
      diagnosis.replaceChildren.apply(diagnosis, state.diagnosis.map(function (line) {
        const item = document.createElement("li");
        if (typeof line === "string") {
          item.textContent = line;
        } else {
          if (line.rule) {
            const rule = document.createElement("strong");
            rule.textContent = line.rule;
            item.append(rule, ": ");
          }
          item.append(line.message || JSON.stringify(line));
        }
        return item;
      }));
    }
    if (finished.indexOf(state.status) >= 0) {
      stop.hidden = true;
      const done = state.has_solution === true; // a stopped run keeps its best cohorts
      document.getElementById("open-board").hidden = !done;
      document.getElementById("open-report").hidden = !done;
      if (source) { source.close(); source = null; }
    }
  }

  async function reread() {
    const answer = await window.peermatch.api("GET", "/runs/" + runId);
    if (answer.status === 200) show(answer.body);
  }

  function onEvent(event) {
    try { show(JSON.parse(event.data)); } catch (e) { /* a keep-alive or a partial line */ }
  }

  if (finished.indexOf(field("status").textContent.trim()) < 0) {
    source = new EventSource(section.dataset.events, { withCredentials: true });
    source.addEventListener("progress", onEvent);
    // "end" carries only the final status: read the whole state once more.
    source.addEventListener("end", reread);
    source.onerror = reread; // the stream broke (a restarted server): read the state

  }

  stop.addEventListener("click", async function () {
    stop.disabled = true;
    stop.textContent = "Stopping…";
    const answer = await window.peermatch.api("DELETE", "/runs/" + runId);
    if (answer.status >= 400) {
      stop.disabled = false;
      stop.textContent = "Stop (keep the best so far)";
    }
  });
})();
