/* What waits to be sent. Answers stay "pending" (kept in sessionStorage, so a reload keeps them)
 * until the server acknowledges them by `ref`; after a reconnect they are sent again with the same
 * id, which the server makes idempotent. Integrity events seen while offline wait for the socket. */
import { newId } from "../shared.js";
import { send } from "./socket.js";
import { state, testId } from "./state.js";

const PENDING_KEY = `jatayu.pending.${testId}`;
const MAX_QUEUED_INTEGRITY = 10; // sent together on reconnect: well under the server's rate limit

// ------------------------------------------------------------------ pending answers

export function loadPending() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "[]");
    return Array.isArray(stored) ? stored : [];
  } catch (e) {
    return [];
  }
}

function savePending() {
  if (state.pending.length) sessionStorage.setItem(PENDING_KEY, JSON.stringify(state.pending));
  else sessionStorage.removeItem(PENDING_KEY);
}

export function pendingFor(questionId) {
  return state.pending.find((p) => p.question_id === questionId) || null;
}

export function dropPending(match) {
  const before = state.pending.length;
  state.pending = state.pending.filter((p) => !match(p));
  if (state.pending.length !== before) savePending();
}

/** Keep the answer until acknowledged; send it now when connected. `selected` is one served index,
 * or for a "multiple" question the list of them (sent as `selected_options`). */
export function queueAnswer(questionId, selected) {
  const pending = { id: newId("a"), question_id: questionId };
  if (Array.isArray(selected)) pending.selected_options = [...selected].sort((a, b) => a - b);
  else pending.selected_option = selected;
  state.pending.push(pending);
  savePending();
  return pending;
}

export function sendPending(p) {
  p.sentAt = performance.now();
  const data = { question_id: p.question_id };
  if (Array.isArray(p.selected_options)) data.selected_options = p.selected_options;
  else data.selected_option = p.selected_option;
  send("submit_answer", data, p.id);
}

export function resendPending(olderThan) {
  const now = performance.now();
  for (const p of state.pending) {
    if (olderThan === undefined || !p.sentAt || now - p.sentAt > olderThan) sendPending(p);
  }
}

/** A message that acknowledges a pending answer (live or replayed) settles it. */
export function settlePending(message) {
  if (message.type === "answer_feedback") {
    dropPending((p) => p.id === message.ref || p.question_id === message.data.question_id);
  }
}

// ------------------------------------------------------------------ integrity

export function integrity(kind) {
  if (state.view !== "question") return;
  if (state.authed) send("integrity_event", { kind }, newId("i"));
  else if (state.integrityQueue.length < MAX_QUEUED_INTEGRITY) state.integrityQueue.push(kind);
}

export function flushIntegrity() {
  const queued = state.integrityQueue.splice(0);
  for (const kind of queued) send("integrity_event", { kind }, newId("i"));
}
