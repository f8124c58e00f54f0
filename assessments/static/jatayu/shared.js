/* Helpers with no side effects, shared by the candidate pages (app.js, assessment/) and the admin's
 * live monitor (monitor.js): building DOM from data (text, never HTML), ids, dates and numbers. */

/** el("p", {class: "x", text: "hi"}, child, …): build elements with text, never HTML. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

/** A random id for client messages: unique enough to match the server's `ref`. */
export function newId(prefix) {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return prefix + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** ISO 8601 → epoch ms; the server sends microseconds, which not every parser takes. */
export function parseIso(iso) {
  if (!iso) return NaN;
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
}

export function formatDateTime(iso) {
  const ms = parseIso(iso);
  if (Number.isNaN(ms)) return "";
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatMinutes(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** Seconds left as a countdown: "4:05", or "1:02:03" from an hour up; never below "0:00". */
export function formatClock(seconds) {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h ? 2 : 1, "0");
  return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
}

export function formatPercent(value) {
  if (value === null || value === undefined) return "";
  return `${Number(value).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`;
}

/** "3 / 5 (60%) · Passed", or null while the score is hidden. */
export function scoreText(attempt) {
  if (attempt.score === undefined || attempt.score === null) return null;
  const parts = [`${attempt.score} / ${attempt.max_score}`];
  if (attempt.percentage_score !== null && attempt.percentage_score !== undefined) {
    parts.push(`(${formatPercent(attempt.percentage_score)})`);
  }
  if (attempt.passed === true) parts.push("· Passed");
  if (attempt.passed === false) parts.push("· Not passed");
  return parts.join(" ");
}

/** One term and its definition, for a <dl class="facts">. */
export function fact(term, ...definition) {
  return el("div", {}, el("dt", { text: term }), el("dd", {}, ...definition));
}
