/* The assessment page: one WebSocket speaking docs/PROTOCOL.md. This module wires the page's
 * controls and window events to the modules beside it:
 *
 * - socket.js: the connection, heartbeats and reconnecting with backoff;
 * - session.js: authenticating, the session epoch (a newer window takes over) and resuming by seq;
 * - outbox.js: answers kept until acknowledged, integrity events kept until connected;
 * - timer.js: the countdown on the server's clock;
 * - views.js and chat.js: what the page shows. */
import { apiAll, requireSignIn, showAccount } from "../api.js";
import { $ } from "../shared.js";
import { wireChat } from "./chat.js";
import { integrity, loadPending, queueAnswer, sendPending } from "./outbox.js";
import { startIfAsked, takeBack } from "./session.js";
import { connect, drop, heartbeat, reconnectNow } from "./socket.js";
import { hasChoice, state, testId } from "./state.js";
import { tick } from "./timer.js";
import { advance, dismissAnnouncement, isMultiple, renderQuestionState, setConnection, setView, showAnswerError, showIntro } from "./views.js";

state.pending = loadPending();

function submitAnswer(event) {
  event.preventDefault();
  if (state.answerState !== "idle" || !state.question) return;
  if (!hasChoice()) {
    showAnswerError(isMultiple(state.question) ? "Choose at least one answer first." : "Choose an answer first.");
    const first = $("options").querySelector("input");
    if (first) first.focus();
    return;
  }
  const pending = queueAnswer(state.question.question_id, state.selected);
  state.answerState = "pending";
  renderQuestionState();
  if (state.authed) sendPending(pending);
}

/** The candidate chose (or, for a multiple question, toggled) the option at this served index. */
function choose(index, on) {
  if (isMultiple(state.question)) {
    const rest = state.selected.filter((i) => i !== index);
    state.selected = on ? [...rest, index].sort((a, b) => a - b) : rest;
  } else {
    state.selected = index;
  }
  renderQuestionState();
}

/** A number key picks that option (toggles it, for a multiple question); Enter on an option submits it. */
function onQuestionKey(event) {
  const form = $("question-form");
  if (state.answerState !== "idle" || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "Enter" && event.target.name === "answer") {
    event.preventDefault();
    form.requestSubmit();
    return;
  }
  const number = Number(event.key);
  if (Number.isInteger(number) && number >= 1 && state.question && number <= state.question.options.length) {
    const input = $(`option-${number - 1}`);
    input.focus();
    choose(number - 1, isMultiple(state.question) ? !state.selected.includes(number - 1) : true);
  }
}

function wireQuestion() {
  const form = $("question-form");
  form.addEventListener("submit", submitAnswer);
  form.addEventListener("change", (event) => {
    if (event.target.name === "answer" && state.answerState === "idle") {
      choose(Number(event.target.value), event.target.checked);
    }
  });
  form.addEventListener("keydown", onQuestionKey);
  $("next-button").addEventListener("click", advance);
}

function wireControls() {
  $("start-button").addEventListener("click", () => {
    state.startRequested = true;
    $("start-button").disabled = true;
    if (state.authed) startIfAsked();
    else reconnectNow();
  });
  $("take-back").addEventListener("click", takeBack);
  $("retry-now").addEventListener("click", reconnectNow);
  $("announcement-dismiss").addEventListener("click", dismissAnnouncement);
}

function wireWindow() {
  document.addEventListener("visibilitychange", () => {
    integrity(document.hidden ? "tab_hidden" : "tab_visible");
    if (!document.hidden) {
      tick();
      if (state.authed) heartbeat();
      else reconnectNow();
    }
  });
  window.addEventListener("blur", () => integrity("window_blur"));
  document.addEventListener("copy", () => integrity("copy"));
  document.addEventListener("paste", () => integrity("paste"));
  // The system says the network is gone: the socket is as good as dead, so stop trusting it.
  window.addEventListener("offline", () => {
    if (state.finished || state.replaced) return;
    drop("offline");
    setConnection("offline");
  });
  window.addEventListener("online", reconnectNow);
  window.addEventListener("beforeunload", (event) => {
    if (state.pending.length && !state.finished) event.preventDefault();
  });
}

async function loadTestInfo() {
  try {
    const tests = await apiAll("/api/my/tests/");
    state.testInfo = tests.find((t) => t.id === testId) || null;
  } catch (e) {
    state.testInfo = null;
  }
  if (state.testInfo) {
    $("test-title").textContent = state.testInfo.title;
    document.title = `${state.testInfo.title} · Jatayu`;
    state.feedbackMode = state.feedbackMode || state.testInfo.feedback_mode;
    if (state.view === "intro") showIntro(state.introResult);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  if (!(await requireSignIn())) return;
  showAccount();
  wireQuestion();
  wireControls();
  wireChat();
  wireWindow();
  setView("loading");
  tick();
  loadTestInfo();
  connect();
});
