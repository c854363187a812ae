/* The board: drag (SortableJS) or "Move…" a person, the move checked before it is made,
 * undo/redo, locks, repair, invitations. Every change goes through the JSON API; the
 * cohorts are then re-read as an htmx fragment, so the page never holds its own copy. */
"use strict";

(function () {
  const board = document.getElementById("board");
  if (!board) return;
  const runId = board.dataset.run;
  const api = window.peermatch.api;
  const statusLine = document.getElementById("board-status");
  const checkDialog = document.getElementById("check-dialog");
  const moveDialog = document.getElementById("move-dialog");
  let pending = null; // the move the check dialog asks about
  let sortables = [];

  function say(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "banner" + (kind ? " " + kind : "");
  }

  function cohortName(cohort) {
    return cohort ? "cohort " + cohort : "unassigned";
  }

  /** Re-read the cohorts on this page (same filter and page as now). */
  function refresh() {
    const cohorts = document.querySelector("#board-cohorts .cohorts");
    const query = cohorts ? cohorts.dataset.query : "";
    return htmx.ajax("GET", board.dataset.fragment + (query ? "?" + query : ""),
      { target: "#board-cohorts", swap: "innerHTML" });
  }

  function nameOf(participant) {
    const item = board.querySelector('li.member[data-participant="' + CSS.escape(participant) + '"]');
    return item ? item.dataset.name : participant;
  }

  async function apply(participant, to, force) {
    const answer = await api("POST", "/runs/" + runId + "/moves",
      { participant_id: participant, to_cohort: to, force: !!force });
    if (answer.status === 200) {
      say("Moved " + nameOf(participant) + " to " + cohortName(to) + ".", "ok");
      await refresh();
    } else if (answer.status === 409) {
      showViolations(participant, to, answer.body);
    } else {
      say("The move was not made: " + window.peermatch.detail(answer.body), "error");
    }
  }

  /** Check a move; make it when every rule holds, otherwise ask. */
  async function propose(participant, to) {
    say("Checking " + nameOf(participant) + " → " + cohortName(to) + "…");
    const answer = await api("POST", "/runs/" + runId + "/moves/check",
      { participant_id: participant, to_cohort: to });
    if (answer.status !== 200) {
      say("The move could not be checked: " + window.peermatch.detail(answer.body), "error");
      return;
    }
    if (answer.body.allowed) {
      await apply(participant, to, false);
    } else {
      showViolations(participant, to, answer.body);
    }
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function showViolations(participant, to, result) {
    pending = { participant: participant, to: to };
    const violations = result.violations || [];
    const field = function (name) { return checkDialog.querySelector('[data-field="' + name + '"]'); };
    field("count").textContent = violations.length === 1 ? "1 rule" : violations.length + " rules";
    field("who").textContent = nameOf(participant);
    field("where").textContent = cohortName(to);
    const delta = result.objective_delta;
    field("delta").textContent = delta === null || delta === undefined ? "–"
      : (delta > 0 ? "+" : "") + window.peermatch.figure(delta, 0);
    const rows = violations.map(function (v) {
      const row = document.createElement("tr");
      const people = (v.people || []).map(function (p) {
        const name = nameOf(p);
        return name === p ? p : name + " (" + p + ")";
      }).join(", ");
      row.append(cell(v.rule || ""), cell(v.message || ""), cell(people));
      return row;
    });
    const body = checkDialog.querySelector("tbody");
    body.replaceChildren.apply(body, rows);
    say("The move of " + nameOf(participant) + " breaks " + field("count").textContent + ".", "error");
    checkDialog.showModal();
  }

  document.getElementById("check-cancel").addEventListener("click", function () {
    pending = null;
    checkDialog.close();
    say("Move cancelled; nothing changed.");
  });
  document.getElementById("check-apply").addEventListener("click", async function () {
    const move = pending;
    pending = null;
    checkDialog.close();
    if (move) await apply(move.participant, move.to, true);
  });

  // Drag and drop. The DOM is put back at once: the board changes only once the server
  // has accepted the move, by re-reading the fragment.
  function wire() {
    sortables.forEach(function (s) { s.destroy(); });
    sortables = Array.prototype.map.call(board.querySelectorAll("ul.members"), function (list) {
      return Sortable.create(list, {
        group: "cohorts",
        sort: false,
        forceFallback: true, // pointer events, the same in every browser and under test drivers
        fallbackTolerance: 3,
        filter: "button, .locked",
        preventOnFilter: false,
        draggable: "li.member",
        onEnd: function (event) {
          const from = event.from.dataset.cohort || null;
          const to = event.to.dataset.cohort || null;
          if (event.from === event.to) return;
          const item = event.item;
          event.from.insertBefore(item, event.from.children[event.oldIndex] || null);
          if (from !== to) propose(item.dataset.participant, to);
        },
      });
    });
  }

  // "Move…" for keyboards (and anyone who prefers a list to a drag).
  let moving = null;
  board.addEventListener("click", async function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("move")) {
      moving = button.dataset.participant;
      moveDialog.querySelector('[data-field="name"]').textContent = nameOf(moving);
      const current = button.closest("ul.members").dataset.cohort;
      const select = document.getElementById("move-target");
      select.value = current;
      moveDialog.showModal();
      select.focus();
    } else if (button.classList.contains("lock-member")) {
      await lock({ participant_id: button.dataset.participant, cohort_id: button.dataset.cohort,
        locked: button.getAttribute("aria-pressed") !== "true" });
    } else if (button.classList.contains("lock-cohort")) {
      await lock({ cohort_id: button.dataset.cohort,
        locked: button.getAttribute("aria-pressed") !== "true" });
    }
  });
  moveDialog.querySelector(".close").addEventListener("click", function () { moveDialog.close(); });
  moveDialog.addEventListener("close", function () {
    if (moveDialog.returnValue === "move" && moving) {
      const to = document.getElementById("move-target").value || null;
      propose(moving, to);
    }
    moveDialog.returnValue = "";
    moving = null;
  });

  async function lock(body) {
    const answer = await api("POST", "/runs/" + runId + "/locks", body);
    if (answer.status === 200) {
      const what = body.participant_id ? nameOf(body.participant_id) : "cohort " + body.cohort_id;
      say((body.locked ? "Locked " : "Unlocked ") + what + ": a repair keeps it as it is.", "ok");
      await refresh();
    } else {
      say("Not changed: " + window.peermatch.detail(answer.body), "error");
    }
  }

  async function step(which) {
    const answer = await api("POST", "/runs/" + runId + "/" + which);
    if (answer.status === 200) {
      say((which === "undo" ? "Undone" : "Redone") + ": now at revision " +
        (answer.body.revision !== undefined ? answer.body.revision : "?") + ".", "ok");
      await refresh();
    } else {
      say("Nothing to " + which + ".", "error");
    }
  }
  document.getElementById("undo").addEventListener("click", function () { step("undo"); });
  document.getElementById("redo").addEventListener("click", function () { step("redo"); });
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    step(event.shiftKey ? "redo" : "undo");
  });

  document.getElementById("repair-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const limit = Number(document.getElementById("repair-limit").value);
    say("Starting a repair: your moves are kept as locks…");
    const deterministic = document.getElementById("repair-deterministic").checked;
    const answer = await api("POST", "/runs/" + runId + "/repair",
      { time_limit: limit, deterministic: deterministic });
    if (answer.status === 202) {
      window.location.assign("/runs/" + encodeURIComponent(answer.body.run_id));
    } else {
      say("The repair did not start: " + window.peermatch.detail(answer.body), "error");
    }
  });

  document.getElementById("invite-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const form = event.target.elements;
    const body = { from: form.from.value, dry_run: form.dry_run.checked };
    if (form.delivery.value === "smtp") {
      body.smtp = { host: form.host.value, security: form.security.value };
      if (form.port.value) body.smtp.port = Number(form.port.value);
      if (form.user.value) body.smtp.user = form.user.value;
      if (form.password.value) body.smtp.password = form.password.value;
    }
    const result = document.getElementById("invite-result");
    const summary = result.querySelector('[data-field="summary"]');
    summary.textContent = "Working…";
    const answer = await api("POST", "/runs/" + runId + "/invite", body);
    showInvitations(answer, body);
  });

  function showInvitations(answer, request) {
    const result = document.getElementById("invite-result");
    const summary = result.querySelector('[data-field="summary"]');
    const table = result.querySelector("table");
    const outcome = answer.body || {};
    if (answer.status !== 200 && answer.status !== 502) {
      summary.textContent = "Nothing was sent: " + window.peermatch.detail(outcome);
      table.hidden = true;
      return;
    }
    const planned = outcome.planned || [];
    const sent = outcome.sent || [];
    summary.textContent = request.dry_run
      ? planned.length + " message(s) would be sent; nothing was sent (dry run)."
      : sent.length + " of " + planned.length + " message(s) " +
        (request.smtp ? "accepted by the mail server." : "written as .eml files.") +
        (outcome.stopped ? " Stopped: " + outcome.stopped + ". Send again to send the rest." : "");
    document.getElementById("invite-eml").hidden = request.dry_run || !!request.smtp || !sent.length;
    const rows = planned.map(function (m) {
      const row = document.createElement("tr");
      row.append(cell((m.name ? m.name + " " : "") + "<" + m.recipient + ">"), cell(m.cohort_id || ""),
        cell(m.method === "CANCEL" ? "cancellation" : "invitation"), cell(m.reason || ""));
      return row;
    });
    const tbody = table.querySelector("tbody");
    tbody.replaceChildren.apply(tbody, rows);
    table.hidden = rows.length === 0;
  }

  /** Undo and redo are offered only when there is something to undo or redo. */
  function steps() {
    const meta = document.getElementById("board-meta");
    if (!meta) return;
    document.getElementById("undo").disabled = meta.dataset.canUndo !== "true";
    document.getElementById("redo").disabled = meta.dataset.canRedo !== "true";
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "board-cohorts") {
      wire();
      steps();
    }
  });
  wire();
  steps();
})();
