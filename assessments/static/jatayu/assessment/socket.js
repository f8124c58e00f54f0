/* The WebSocket (docs/PROTOCOL.md): opening it with the first message `auth` (the token never goes
 * into the URL), heartbeats that notice a dead connection, and reconnecting by itself with
 * exponential backoff and jitter. What the messages mean is session.js. */
import { auth, SignedOut, toSignIn } from "../api.js";
import { newId } from "../shared.js";
import { resendPending } from "./outbox.js";
import { handle, onClosed } from "./session.js";
import { state, testId } from "./state.js";
import { setConnection } from "./views.js";

const HEARTBEAT_MS = 15000;
const PONG_TIMEOUT_MS = 10000;
const MAX_ROUND_TRIP_MS = 10000; // what the server takes as `heartbeat {rtt_ms}`
const RESEND_AFTER_MS = 10000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/assessment/${testId}/`;
}

/** Send a message if the socket is open; false when it is not (the caller keeps what matters). */
export function send(type, data, id) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  const message = { type, data: data || {} };
  if (id) message.id = id;
  ws.send(JSON.stringify(message));
  return true;
}

export async function connect() {
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  if (state.ws || state.opening || state.finished || state.replaced) return;
  state.opening = true;
  let token;
  try {
    token = await auth.fresh();
  } catch (e) {
    state.opening = false;
    if (e instanceof SignedOut) {
      toSignIn();
      return;
    }
    scheduleReconnect();
    return;
  }
  state.opening = false;
  if (state.ws || state.finished || state.replaced) return;
  setConnection("connecting");
  open(token);
}

function open(token) {
  const ws = new WebSocket(wsUrl());
  state.ws = ws;
  state.authed = false;
  state.lastError = null;
  ws.addEventListener("open", () => {
    if (ws !== state.ws) return;
    state.authSentAt = performance.now();
    // Reconnecting by itself, this window names the epoch it held, so it cannot grab the session
    // back from a newer window; a fresh page or "continue here" (no epoch) takes over.
    const data = state.epoch ? { token, epoch: state.epoch } : { token };
    ws.send(JSON.stringify({ type: "auth", data }));
  });
  ws.addEventListener("message", (event) => {
    if (ws !== state.ws) return;
    const receivedAt = performance.now();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    handle(message, receivedAt);
  });
  ws.addEventListener("close", (event) => {
    if (ws !== state.ws) return;
    onClosed(event.code);
  });
}

/** Close the socket from this side (offline, a dead connection) and reconnect. */
export function drop(reason) {
  const ws = state.ws;
  if (!ws) return;
  state.ws = null;
  state.authed = false;
  stopHeartbeat();
  try {
    ws.close(4000, reason);
  } catch (e) {
    /* already closed */
  }
  if (!state.finished && !state.replaced) scheduleReconnect();
}

/** Close the socket for good: the attempt is over. */
export function closeFinished() {
  clearTimeout(state.reconnectTimer);
  stopHeartbeat();
  if (state.ws) {
    const ws = state.ws;
    state.ws = null;
    ws.close(1000, "finished");
  }
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … 15 s, each between half and all of it. */
export function scheduleReconnect(delay) {
  if (state.finished || state.replaced) return;
  clearTimeout(state.reconnectTimer);
  if (delay === undefined) {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** state.backoff);
    delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    state.backoff = Math.min(state.backoff + 1, 10);
  }
  state.reconnectAt = performance.now() + delay;
  state.reconnectTimer = setTimeout(connect, delay);
  setConnection(navigator.onLine === false ? "offline" : "reconnecting");
}

export function reconnectNow() {
  state.backoff = 0;
  if (!state.ws && !state.finished && !state.replaced) connect();
}

// ------------------------------------------------------------------ heartbeat

export function startHeartbeat() {
  stopHeartbeat();
  state.heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
}

export function stopHeartbeat() {
  clearInterval(state.heartbeatTimer);
  clearTimeout(state.pongTimer);
  state.heartbeatTimer = null;
  state.pongTimer = null;
  state.heartbeats.clear();
}

/** Ping the server; no answer within PONG_TIMEOUT_MS means a dead connection. Each heartbeat tells
 * the round trip the last one measured, so the server can leave the network out of answer times. */
export function heartbeat() {
  if (!state.authed) return;
  const id = newId("h");
  state.heartbeats.set(id, performance.now());
  send("heartbeat", state.roundTripMs === null ? {} : { rtt_ms: state.roundTripMs }, id);
  if (!state.pongTimer) state.pongTimer = setTimeout(() => drop("no pong"), PONG_TIMEOUT_MS);
  resendPending(RESEND_AFTER_MS);
}

/** The answer to a heartbeat: the connection lives, and the round trip samples the server clock. */
export function pongReceived(ref, receivedAt) {
  const sentAt = state.heartbeats.get(ref);
  state.heartbeats.delete(ref);
  if (sentAt !== undefined) {
    state.roundTripMs = Math.min(MAX_ROUND_TRIP_MS, Math.max(0, Math.round(receivedAt - sentAt)));
  }
  clearTimeout(state.pongTimer);
  state.pongTimer = null;
  return sentAt;
}
