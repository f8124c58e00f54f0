/* The admin's live monitor of a test (templates/admin/assessments/test/monitor.html): the table the
 * template rendered is refreshed in place every few seconds from the JSON endpoint, and the time
 * left counts down in between. Every candidate-supplied value goes in as text, never as HTML.
 *
 * The page passes what this needs as data- attributes of #jatayu-monitor: data-url (the JSON),
 * data-poll (seconds between refreshes), data-can-act ("1": show the actions), data-extend-url and
 * data-terminate-url (where the actions post). */
import { el, formatClock } from "./shared.js";

const FIELDS = ["candidate", "attempt", "connection", "progress", "remaining", "integrity", "hints"];
const TEXT_FIELDS = ["candidate", "connection", "progress"]; // the others are numbers, aligned right
const EMPTY_TEXT = "Nobody is connected or taking this test right now.";

const root = document.getElementById("jatayu-monitor");
const tbody = document.getElementById("monitor-rows");
const events = document.getElementById("monitor-events");
const statusLine = document.getElementById("monitor-status");
const canAct = root.dataset.canAct === "1";
const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
const csrf = csrfInput ? csrfInput.value : "";
const columns = canAct ? 8 : 7;
let offset = 0; // server clock minus this browser's clock, in ms
let seenEvents = new Set(Array.from(events.querySelectorAll("li[data-id]"), (li) => li.dataset.id));

function remaining(deadline) {
  return deadline ? formatClock((Date.parse(deadline) - (Date.now() + offset)) / 1000) : "-";
}

/** The text of each cell of a row, as the template renders it. */
function cells(row) {
  return {
    candidate: row.candidate,
    attempt: row.attempt === null ? "-" : String(row.attempt),
    connection: row.connected ? "● connected" : "○ not connected",
    progress: row.answered === null ? "not started" : row.answered + " / " + row.total + " (" + row.progress + "%)",
    remaining: remaining(row.deadline),
    integrity: row.integrity_events === null ? "-" : String(row.integrity_events),
    hints: row.hints === null ? "-" : String(row.hints),
  };
}

function actionForm(action, assessmentId, extra, label, confirmText) {
  const form = el(
    "form",
    { method: "post", action: action, class: "inline" },
    el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }),
    el("input", { type: "hidden", name: "assessment", value: String(assessmentId) }),
    extra,
    el("input", { type: "submit", value: label }),
  );
  if (confirmText) form.dataset.confirm = confirmText;
  return form;
}

function actionsCell(row) {
  const td = el("td");
  td.dataset.field = "actions";
  if (row.assessment_id === null) return td;
  const minutes = el("input", {
    type: "number",
    name: "minutes",
    value: "5",
    min: "1",
    max: "1440",
    style: "width: 4em",
    "aria-label": "minutes",
  });
  const reason = el("input", {
    type: "text",
    name: "reason",
    placeholder: "reason",
    required: "",
    maxlength: "500",
    size: "14",
    "aria-label": "reason",
  });
  td.append(
    actionForm(root.dataset.extendUrl, row.assessment_id, minutes, "Extend"),
    " ",
    actionForm(root.dataset.terminateUrl, row.assessment_id, reason, "Terminate", "Terminate this attempt?"),
  );
  return td;
}

function newRow(key, row) {
  const tr = el("tr");
  tr.dataset.key = key;
  for (const field of FIELDS) {
    const td = el("td");
    td.dataset.field = field;
    if (!TEXT_FIELDS.includes(field)) td.className = "num";
    tr.append(td);
  }
  if (canAct) tr.append(actionsCell(row));
  return tr;
}

/** Update the rows in place (a row keeps its forms while being typed in), add new ones, drop gone ones. */
function renderRows(rows) {
  const existing = new Map(Array.from(tbody.querySelectorAll("tr[data-key]"), (tr) => [tr.dataset.key, tr]));
  const wanted = new Set();
  for (const row of rows) {
    const key = row.assessment_id !== null ? "a-" + row.assessment_id : "s-" + row.candidate;
    wanted.add(key);
    let tr = existing.get(key);
    if (!tr) {
      tr = newRow(key, row);
      tbody.append(tr);
    }
    tr.dataset.deadline = row.deadline || "";
    const values = cells(row);
    for (const td of tr.querySelectorAll("td[data-field]")) {
      if (td.dataset.field in values && td.textContent !== values[td.dataset.field]) {
        td.textContent = values[td.dataset.field];
      }
    }
  }
  for (const [key, tr] of existing) if (!wanted.has(key)) tr.remove();
  const empty = tbody.querySelector("tr.monitor-empty");
  if (rows.length && empty) empty.remove();
  if (!rows.length && !empty) {
    tbody.append(el("tr", { class: "monitor-empty" }, el("td", { colspan: String(columns), class: "muted" }, EMPTY_TEXT)));
  }
}

/** The latest integrity events; those not in the previous refresh are flagged. */
function renderEvents(latest) {
  events.replaceChildren(
    ...latest.map((e) => {
      const li = el("li", {}, el("span", { class: "muted" }, e.time), " " + e.candidate + ": " + e.kind);
      li.dataset.id = String(e.id);
      if (!seenEvents.has(li.dataset.id)) li.className = "flag";
      return li;
    }),
  );
  if (!latest.length) events.append(el("li", { class: "muted" }, "None yet."));
  seenEvents = new Set(latest.map((e) => String(e.id)));
}

function render(state) {
  document.getElementById("monitor-connected").textContent = String(state.connected);
  document.getElementById("monitor-running").textContent = String(state.running);
  renderRows(state.rows);
  renderEvents(state.integrity_events);
}

async function refresh() {
  try {
    const response = await fetch(root.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const state = await response.json();
    offset = Date.parse(state.server_time) - Date.now();
    render(state);
    statusLine.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (error) {
    statusLine.textContent = "update failed (" + error.message + "), retrying";
  }
}

function tick() {
  for (const tr of tbody.querySelectorAll("tr[data-key]")) {
    const td = tr.querySelector('td[data-field="remaining"]');
    if (td && tr.dataset.deadline) td.textContent = remaining(tr.dataset.deadline);
  }
}

root.addEventListener("submit", (event) => {
  const text = event.target.dataset.confirm;
  if (text && !window.confirm(text)) event.preventDefault();
});
setInterval(refresh, Number(root.dataset.poll) * 1000);
setInterval(tick, 1000);
