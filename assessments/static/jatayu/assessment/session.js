/* What the server's messages mean for this page: authentication and the session epoch (a newer
 * window takes over with close 4008), resuming after a reconnect from the last `seq` seen, and the
 * attempt's events. */
import { auth, clock, SignedOut, toSignIn } from "../api.js";
import { $, formatMinutes, newId } from "../shared.js";
import { onTutorChunk, onTutorMessage, renderChat, showChatError } from "./chat.js";
import { dropPending, flushIntegrity, pendingFor, resendPending, settlePending } from "./outbox.js";
import { connect, pongReceived, scheduleReconnect, send, startHeartbeat, stopHeartbeat } from "./socket.js";
import { state } from "./state.js";
import { setDeadline, WARN_AT_SECONDS, warn } from "./timer.js";
import {
  advance,
  announce,
  ERROR_TITLES,
  renderProgress,
  renderQuestionState,
  setConnection,
  setView,
  showAnnouncement,
  showAnswerError,
  showCompleted,
  showError,
  showIntro,
  showQuestion,
  showTakeover,
} from "./views.js";

const FATAL_CLOSES = new Set([4003, 4004]);

/** The socket closed (not by this page): why decides between reconnecting, stopping and signing in. */
export function onClosed(code) {
  state.ws = null;
  state.authed = false;
  stopHeartbeat();
  if (state.finished) return;
  if (code === 4008 || state.replaced) {
    showTakeover();
    return;
  }
  if (FATAL_CLOSES.has(code)) {
    showError(state.lastError);
    return;
  }
  if (code === 4001) {
    if (state.lastError && state.lastError.code === "token_expired" && !state.expiredAgain) {
      // Expected now and then: come straight back (connect() takes a fresh token first). Should the
      // server refuse that token too (this clock misjudged its age), the next round refreshes it.
      state.expiredAgain = true;
      scheduleReconnect(0);
      return;
    }
    // auth_failed: the token is no good; refresh it, and after repeated refusals sign in again.
    state.authFailures += 1;
    if (state.authFailures > 2) {
      toSignIn();
      return;
    }
    setConnection("reconnecting");
    auth
      .refresh()
      .then(() => scheduleReconnect(0))
      .catch((e) => (e instanceof SignedOut ? toSignIn() : scheduleReconnect()));
    return;
  }
  scheduleReconnect();
}

/** One message from the server; those with a `seq` count once, in order, even when replayed. */
export function handle(message, receivedAt) {
  const seq = typeof message.seq === "number" ? message.seq : null;
  const data = message.data || {};
  if (message.type === "assessment_started" && data.assessment_id !== state.assessmentId) {
    // A new attempt: its event log starts again at seq 1.
    state.lastSeq = 0;
    state.snapshotSeq = 0;
  }
  if (seq !== null) {
    if (seq <= state.lastSeq) {
      // Seen already (a replay of a re-sent answer): it only confirms what is pending.
      settlePending(message);
      return;
    }
    state.lastSeq = seq;
  }
  // Logged before the last snapshot: the snapshot already shows where the attempt is.
  const historical = seq !== null && seq <= state.snapshotSeq;
  switch (message.type) {
    case "auth_success":
      onAuthSuccess(data, receivedAt);
      break;
    case "pong":
      onPong(message, receivedAt);
      break;
    case "assessment_started":
      onStarted(data, message, receivedAt, historical);
      break;
    case "question":
      if (!historical) onQuestion(data);
      break;
    case "answer_feedback":
      onFeedback(message, historical);
      break;
    case "progress_update":
      onProgress(data);
      break;
    case "assessment_completed":
      onCompleted(data);
      break;
    case "time_warning":
      warn(data.seconds_left, data.seconds_left);
      break;
    case "time_extended":
      onTimeExtended(data, receivedAt, historical);
      break;
    case "announcement":
      showAnnouncement(data);
      break;
    case "session_replaced":
      state.replaced = true;
      break;
    case "system_message":
      if (!historical) onTutorMessage(data.message); // older ones are in the snapshot's chat
      break;
    case "chat_chunk":
      onTutorChunk(data);
      break;
    case "error":
      onError(message);
      break;
    default:
      break; // ack, and anything newer than this page
  }
}

function onAuthSuccess(data, receivedAt) {
  state.epoch = data.epoch;
  clock.reset();
  clock.sample(data.server_time, state.authSentAt, receivedAt);
  state.authed = true;
  state.backoff = 0;
  state.authFailures = 0;
  state.expiredAgain = false;
  setConnection("online");
  startHeartbeat();
  const snapshot = data.assessment;

  if (!snapshot) {
    state.hadSession = true;
    state.snapshotSeq = 0;
    dropPending(() => true);
    if (state.view === "loading") showIntro(null);
    else if (state.view === "intro") startIfAsked();
    flushIntegrity();
    return;
  }

  if (snapshot.assessment_id !== state.assessmentId) {
    // Another attempt than the one this page knew (or none yet): nothing of ours to resume in it.
    state.lastSeq = 0;
    if (state.assessmentId !== null) state.hadSession = false;
  }
  state.assessmentId = snapshot.assessment_id;
  state.total = snapshot.total;
  state.answered = snapshot.answered;
  state.score = snapshot.score ?? null; // "Score so far" survives a reload
  state.timeLimitSeconds = snapshot.time_limit_seconds ?? null;
  state.snapshotSeq = snapshot.last_seq;
  if (snapshot.status === "in_progress") setDeadline(snapshot.deadline);
  renderProgress();

  const missed = state.hadSession && state.lastSeq > 0 && state.lastSeq < snapshot.last_seq;
  state.hadSession = true;
  if (snapshot.status !== "in_progress") {
    if (missed) {
      // It ended while we were away (time up, or our last answer landed): replay the end.
      send("resume", { last_seq: state.lastSeq });
      resendPending();
    } else {
      state.lastSeq = Math.max(state.lastSeq, snapshot.last_seq);
      dropPending(() => true);
      if (state.view === "question" && state.answerState === "answered") {
        state.next = { type: "completed", data: snapshot.result };
        renderQuestionState();
      }
      else if (state.view === "loading" || state.view === "intro") showIntro(snapshot.result);
      else showCompleted(snapshot.result);
    }
    return;
  }

  if (!missed) state.lastSeq = Math.max(state.lastSeq, snapshot.last_seq);
  renderChat(snapshot.chat || []);
  const latest = (snapshot.announcements || []).slice(-1)[0];
  if (latest) showAnnouncement(latest);
  placeSnapshotQuestion(snapshot.current_question);
  if (missed) send("resume", { last_seq: state.lastSeq });
  resendPending();
  flushIntegrity();
  if (!snapshot.current_question) send("get_question", {});
}

/** Show where the attempt is, without losing what this page shows (a pending or answered question). */
function placeSnapshotQuestion(current) {
  if (!current) return;
  if (state.view === "question" && state.question && state.question.question_id === current.question_id) {
    return; // the same question: keep the candidate's selection as it is
  }
  if (state.view === "question" && state.answerState !== "idle") {
    state.next = { type: "question", data: current };
    renderQuestionState();
    return;
  }
  showQuestion(current);
  const pending = pendingFor(current.question_id);
  if (pending) {
    state.selected = Array.isArray(pending.selected_options) ? [...pending.selected_options] : pending.selected_option;
    state.answerState = "pending";
    renderQuestionState();
  }
}

function onPong(message, receivedAt) {
  const sentAt = pongReceived(message.ref, receivedAt);
  if (sentAt !== undefined) clock.sample(message.data.server_time, sentAt, receivedAt);
}

function onStarted(data, message, receivedAt, historical) {
  state.assessmentId = data.assessment_id;
  state.feedbackMode = data.feedback_mode;
  state.total = data.total_questions;
  state.timeLimitSeconds = data.time_limit_seconds;
  if (!historical && message.ref && state.startSentAt !== null) {
    clock.sample(data.server_time, state.startSentAt, receivedAt);
  }
  setDeadline(data.deadline);
  renderProgress();
}

function onQuestion(question) {
  if (state.view === "question" && state.question && state.question.question_id === question.question_id) {
    return;
  }
  if (state.view === "question" && state.answerState !== "idle") {
    state.next = { type: "question", data: question };
    if (state.answerState === "answered" && state.feedbackMode === "none") advance();
    else renderQuestionState();
    return;
  }
  if (state.view === "completed" || state.view === "takeover" || state.view === "error") return;
  showQuestion(question);
}


function onFeedback(message, historical) {
  const data = message.data;
  settlePending(message);
  const shown = state.view === "question" && state.question && state.question.question_id === data.question_id;
  if (!shown || state.answerState === "answered") return;
  state.answerState = "answered";
  state.feedback = data;
  // When `historical`, the snapshot has already put the question that follows into `state.next`.
  renderQuestionState();
  if (state.feedbackMode === "none") {
    announce("Answer saved.");
    if (state.next) advance();
  } else {
    const feedback = $("feedback-title");
    if (!$("chat").contains(document.activeElement)) feedback.focus();
  }
}

function onProgress(data) {
  state.answered = data.answered;
  state.total = data.total;
  if (data.score !== undefined) state.score = data.score;
  renderProgress();
}

function onCompleted(data) {
  dropPending(() => true);
  state.completed = data;
  if (state.view === "question" && state.answerState === "answered" && state.feedbackMode !== "none" && data.reason === "all_answered") {
    state.next = { type: "completed", data };
    renderQuestionState();
    return;
  }
  showCompleted(data);
}

function onTimeExtended(data, receivedAt, historical) {
  setDeadline(data.deadline);
  if (!historical) {
    const left = `you now have ${formatMinutes(data.time_remaining_seconds)} left`;
    const text =
      data.reason === "disconnected"
        ? `Time given back for the lost connection: ${formatSeconds(data.seconds)}; ${left}.`
        : `Time extended: ${left}.`;
    announce(text, true);
    state.warned = new Set(WARN_AT_SECONDS.filter((s) => s >= data.time_remaining_seconds));
    state.timeUpAsked = false;
  }
}

/** A short span to the second: "45 s", "2 min 10 s". */
function formatSeconds(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (!minutes) return `${rest} s`;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

function onError(message) {
  const data = message.data || {};
  state.lastError = data;
  const pending = message.ref && state.pending.find((p) => p.id === message.ref);
  if (data.code === "session_replaced") {
    state.replaced = true;
    return;
  }
  if (pending) {
    if (data.code === "rate_limited" || data.code === "internal_error") return; // re-sent later
    dropPending((p) => p.id === message.ref);
    if (state.view === "question" && state.question && state.question.question_id === pending.question_id) {
      state.answerState = "idle";
      renderQuestionState();
      showAnswerError(
        data.code === "assessment_expired" ? "Time is up: this answer was not recorded." : data.message,
      );
    }
    return;
  }
  if (state.chatSent && message.ref === state.chatSent.id) {
    // chat_limit, chat_busy, assessment_in_progress…: the message got no reply.
    state.chatSent = null;
    showChatError(data.message);
    return;
  }
  if (message.ref && message.ref.startsWith("s-")) {
    // The start was refused without closing (e.g. bank_empty); access refusals close with 4003.
    state.startRequested = false;
    if (ERROR_TITLES[data.code]) showError(data);
    else {
      $("intro-note").textContent = data.message;
      $("intro-note").hidden = false;
      $("start-button").disabled = false;
    }
    return;
  }
  if (data.code === "no_active_assessment" && state.view !== "completed") {
    if (state.view === "intro" || state.view === "loading") return;
    showIntro(null);
  }
}

/** Send the start once the candidate asked for it and the socket is authenticated. */
export function startIfAsked() {
  if (!state.startRequested || !state.authed) return;
  state.startSentAt = performance.now();
  send("start_assessment", {}, newId("s"));
}

/** "Continue in this window": take the session back from the other window. */
export function takeBack() {
  state.replaced = false;
  state.epoch = null; // taking over on purpose
  state.backoff = 0;
  // Back to what was on screen; the new connection's snapshot brings it up to date.
  const back = state.viewBeforeTakeover;
  setView(back && back !== "takeover" ? back : "loading");
  if (state.view === "question") renderQuestionState();
  connect();
}
