/* The assessment page: one WebSocket speaking docs/PROTOCOL.md.
 *
 * - Authenticates with the first message `auth` (the token never goes into the URL).
 * - Answers stay "pending" (kept in sessionStorage) until the server acknowledges them by `ref`;
 *   after a reconnect they are sent again with the same id, which the server makes idempotent.
 * - Reconnects by itself with exponential backoff and jitter, then `resume {last_seq}`.
 * - Counts down on the server's clock (see Jatayu.clock), so a wrong system clock or a throttled
 *   background tab cannot make the timer drift or run out early.
 * - A newer window takes over (close 4008): this one shows the takeover screen until taken back. */
(function () {
  "use strict";

  const J = window.Jatayu;
  const { el, $ } = J;

  const HEARTBEAT_MS = 15000;
  const PONG_TIMEOUT_MS = 10000;
  const RESEND_AFTER_MS = 10000;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const WARN_AT_SECONDS = [300, 60];
  const MAX_QUEUED_INTEGRITY = 10; // sent together on reconnect: well under the server's rate limit
  const FATAL_CLOSES = new Set([4003, 4004]);

  const root = $("assessment");
  const testId = Number(root.dataset.testId);
  const PENDING_KEY = `jatayu.pending.${testId}`;

  const state = {
    ws: null,
    opening: false,
    authed: false,
    authSentAt: null,
    replaced: false,
    epoch: null, // the session epoch this window holds (from auth_success)
    finished: false, // nothing more to do on this page: no reconnects
    lastError: null,
    authFailures: 0,
    expiredAgain: false,
    backoff: 0,
    reconnectTimer: null,
    reconnectAt: null,
    heartbeatTimer: null,
    pongTimer: null,
    heartbeats: new Map(), // id → performance.now() when sent
    hadSession: false,
    lastSeq: 0, // the highest seq processed on this page
    snapshotSeq: 0, // events up to this seq are already reflected in the last snapshot
    startSentAt: null,

    testInfo: null,
    assessmentId: null,
    feedbackMode: null,
    deadlineMs: null,
    answered: 0,
    total: 0,
    score: null,
    warned: new Set(),
    timeUpAsked: false,

    view: "loading",
    question: null,
    selected: null,
    answerState: "idle", // idle | pending | answered
    next: null, // what follows the answered question: {type: "question" | "completed", data}
    completed: null,
    pending: loadPending(),
    integrityQueue: [],
    chatStreaming: null,
    announcementShown: null, // id of the announcement in the banner
    announcementDismissed: Number(sessionStorage.getItem(`jatayu.announcementDismissed.${testId}`) || 0),
    chatSent: null, // {id, text}: the chat message waiting for the tutor's reply
  };

  // ------------------------------------------------------------------ pending answers

  function loadPending() {
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

  function pendingFor(questionId) {
    return state.pending.find((p) => p.question_id === questionId) || null;
  }

  function dropPending(match) {
    const before = state.pending.length;
    state.pending = state.pending.filter((p) => !match(p));
    if (state.pending.length !== before) savePending();
  }

  function sendPending(p) {
    p.sentAt = performance.now();
    send("submit_answer", { question_id: p.question_id, selected_option: p.selected_option }, p.id);
  }

  function resendPending(olderThan) {
    const now = performance.now();
    for (const p of state.pending) {
      if (olderThan === undefined || !p.sentAt || now - p.sentAt > olderThan) sendPending(p);
    }
  }

  // ------------------------------------------------------------------ socket

  function wsUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/assessment/${testId}/`;
  }

  function send(type, data, id) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const message = { type, data: data || {} };
    if (id) message.id = id;
    ws.send(JSON.stringify(message));
    return true;
  }

  async function connect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    if (state.ws || state.opening || state.finished || state.replaced) return;
    state.opening = true;
    let token;
    try {
      token = await J.auth.fresh();
    } catch (e) {
      state.opening = false;
      if (e instanceof J.SignedOut) {
        J.toSignIn();
        return;
      }
      scheduleReconnect();
      return;
    }
    state.opening = false;
    if (state.ws || state.finished || state.replaced) return;
    setConnection("connecting");
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
  function drop(reason) {
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

  function onClosed(code) {
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
        J.toSignIn();
        return;
      }
      setConnection("reconnecting");
      J.auth
        .refresh()
        .then(() => scheduleReconnect(0))
        .catch((e) => (e instanceof J.SignedOut ? J.toSignIn() : scheduleReconnect()));
      return;
    }
    scheduleReconnect();
  }

  /** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … 15 s, each between half and all of it. */
  function scheduleReconnect(delay) {
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

  function reconnectNow() {
    state.backoff = 0;
    if (!state.ws && !state.finished && !state.replaced) connect();
  }

  // ------------------------------------------------------------------ heartbeat

  function startHeartbeat() {
    stopHeartbeat();
    state.heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    clearInterval(state.heartbeatTimer);
    clearTimeout(state.pongTimer);
    state.heartbeatTimer = null;
    state.pongTimer = null;
    state.heartbeats.clear();
  }

  /** Ping the server; no answer within PONG_TIMEOUT_MS means a dead connection. */
  function heartbeat() {
    if (!state.authed) return;
    const id = J.newId("h");
    state.heartbeats.set(id, performance.now());
    send("heartbeat", {}, id);
    if (!state.pongTimer) state.pongTimer = setTimeout(() => drop("no pong"), PONG_TIMEOUT_MS);
    resendPending(RESEND_AFTER_MS);
  }

  // ------------------------------------------------------------------ messages

  function handle(message, receivedAt) {
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
    J.clock.reset();
    J.clock.sample(data.server_time, state.authSentAt, receivedAt);
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
      state.selected = pending.selected_option;
      state.answerState = "pending";
      renderQuestionState();
    }
  }

  function onPong(message, receivedAt) {
    const sentAt = state.heartbeats.get(message.ref);
    state.heartbeats.delete(message.ref);
    clearTimeout(state.pongTimer);
    state.pongTimer = null;
    if (sentAt !== undefined) J.clock.sample(message.data.server_time, sentAt, receivedAt);
  }

  function onStarted(data, message, receivedAt, historical) {
    state.assessmentId = data.assessment_id;
    state.feedbackMode = data.feedback_mode;
    state.total = data.total_questions;
    if (!historical && message.ref && state.startSentAt !== null) {
      J.clock.sample(data.server_time, state.startSentAt, receivedAt);
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

  function settlePending(message) {
    if (message.type === "answer_feedback") {
      dropPending((p) => p.id === message.ref || p.question_id === message.data.question_id);
    }
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
      announce(`Time extended: you now have ${J.formatMinutes(data.time_remaining_seconds)} left.`, true);
      state.warned = new Set(WARN_AT_SECONDS.filter((s) => s >= data.time_remaining_seconds));
      state.timeUpAsked = false;
    }
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
      startRequested = false;
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

  // ------------------------------------------------------------------ time

  function setDeadline(iso) {
    const ms = J.parseIso(iso);
    if (!Number.isNaN(ms)) state.deadlineMs = ms;
    tick();
  }

  function remainingMs() {
    return state.deadlineMs === null ? null : state.deadlineMs - J.clock.now();
  }

  function formatClock(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0");
    return (h ? `${h}:` : "") + `${mm}:${String(s).padStart(2, "0")}`;
  }

  let tickTimer = null;
  /** Redraw the countdown just after each whole second changes, from the server clock each time. */
  function tick() {
    clearTimeout(tickTimer);
    const left = remainingMs();
    const timer = $("timer");
    const box = $("timer-box");
    if (left === null || state.view === "completed") {
      tickTimer = state.view === "completed" ? null : setTimeout(tick, 1000);
      return;
    }
    const seconds = Math.max(0, Math.ceil(left / 1000));
    timer.textContent = formatClock(seconds);
    timer.dataset.seconds = String(seconds);
    box.dataset.level = seconds <= 60 ? "danger" : seconds <= 300 ? "warning" : "normal";
    const due = WARN_AT_SECONDS.filter((at) => seconds <= at && !state.warned.has(at));
    if (due.length && seconds > 0 && state.view === "question") warn(Math.min(...due), seconds);
    if (seconds === 0 && state.view === "question" && !state.timeUpAsked && state.authed) {
      state.timeUpAsked = true; // the server decides: it answers with assessment_completed (timed_out)
      send("get_question", {});
    }
    const untilNextSecond = left > 0 ? (left % 1000) + 15 : 1000;
    tickTimer = setTimeout(tick, Math.max(20, untilNextSecond));
  }

  /** Announce a time warning once per threshold, whether the server's or this page's clock gets there first. */
  function warn(threshold, secondsLeft) {
    if (state.warned.has(threshold)) return;
    for (const at of WARN_AT_SECONDS) if (at >= threshold) state.warned.add(at);
    const minutes = Math.max(1, Math.ceil(secondsLeft / 60));
    announce(`${minutes === 1 && secondsLeft < 60 ? "Less than 1 minute" : `${minutes} minute${minutes === 1 ? "" : "s"}`} left.`, true);
  }

  // ------------------------------------------------------------------ views

  const VIEWS = {
    loading: "view-loading",
    intro: "view-intro",
    question: "question-form",
    completed: "view-completed",
    takeover: "view-takeover",
    error: "view-error",
  };

  function setView(view) {
    state.view = view;
    for (const [name, id] of Object.entries(VIEWS)) $(id).hidden = name !== view;
    root.dataset.view = view;
    // The tutor needs this window's connection: gone once the attempt is over or continues elsewhere.
    $("chat").hidden = view === "completed" || view === "takeover" || view === "error";
  }

  function focusUnlessTyping(node) {
    if (!$("chat").contains(document.activeElement)) node.focus();
  }

  function showIntro(lastResult) {
    state.introResult = lastResult;
    setView("intro");
    const info = state.testInfo;
    const facts = $("intro-facts");
    const button = $("start-button");
    const note = $("intro-note");
    facts.replaceChildren();
    if (info) {
      facts.append(
        J.fact("Questions", String(info.total_questions)),
        J.fact("Time limit", J.formatMinutes(info.time_limit_seconds)),
        J.fact("Attempts left", `${info.attempts_left} of ${info.max_attempts}`),
      );
    }
    note.hidden = true;
    button.hidden = false;
    button.disabled = false;
    if (lastResult) {
      const score = J.scoreText(lastResult);
      note.textContent = `Your last attempt is finished${score ? `: ${score}` : ""}.`;
      note.hidden = false;
      if (info && info.attempts_left > 0 && info.window === "open") {
        button.textContent = "Start a new attempt";
      } else {
        button.hidden = true;
        note.append(" ", el("a", { href: `/results/${lastResult.assessment_id}/`, text: "View your result" }));
      }
    }
    focusUnlessTyping($("intro-title"));
  }

  let startRequested = false;
  function startIfAsked() {
    if (!startRequested || !state.authed) return;
    state.startSentAt = performance.now();
    send("start_assessment", {}, J.newId("s"));
  }

  function showQuestion(question) {
    state.question = question;
    state.selected = null;
    state.answerState = "idle";
    state.feedback = null;
    state.next = null;
    state.timeUpAsked = false;
    setView("question");
    const form = $("question-form");
    form.dataset.questionId = String(question.question_id);
    $("question-position").textContent = `Question ${question.position} of ${question.total}`;
    $("question-skill").textContent = question.skill;
    $("question-difficulty").textContent = question.difficulty;
    $("question-prompt").textContent = question.prompt;
    $("options").replaceChildren(
      ...question.options.map((text, index) =>
        el(
          "label",
          { class: "option", for: `option-${index}`, "data-index": index },
          el("input", { type: "radio", name: "answer", id: `option-${index}`, value: index }),
          el("span", { class: "option-key", "aria-hidden": "true", text: String(index + 1) }),
          el("span", { class: "option-text", text }),
          el("span", { class: "option-mark" }),
        ),
      ),
    );
    if (state.deadlineMs === null && typeof question.time_remaining_seconds === "number") {
      state.deadlineMs = J.clock.now() + question.time_remaining_seconds * 1000;
    }
    renderQuestionState();
    renderProgress();
    focusUnlessTyping($("question-prompt"));
  }

  function renderQuestionState() {
    const q = state.question;
    if (!q) return;
    const answering = state.answerState === "idle";
    const radios = $("options").querySelectorAll("input[type=radio]");
    radios.forEach((radio) => {
      radio.checked = Number(radio.value) === state.selected;
      radio.disabled = !answering;
    });
    const submit = $("submit-answer");
    submit.hidden = state.answerState === "answered";
    submit.disabled = !answering;
    submit.textContent = state.answerState === "pending" ? "Saving…" : "Submit answer";
    const answerState = $("answer-state");
    answerState.dataset.state = state.answerState;
    if (state.answerState === "pending") {
      answerState.textContent = state.authed
        ? "Sending your answer…"
        : "Your answer is kept on this device and will be sent when the connection returns.";
    } else if (state.answerState === "answered") {
      answerState.textContent = "Answer saved.";
    } else {
      answerState.textContent = "";
    }
    if (answering) $("answer-error").hidden = true;

    const feedback = $("feedback");
    const fb = state.feedback;
    feedback.hidden = !(state.answerState === "answered" && fb && state.feedbackMode !== "none");
    for (const label of $("options").querySelectorAll(".option")) {
      const index = Number(label.dataset.index);
      const mark = label.querySelector(".option-mark");
      label.classList.remove("chosen", "correct", "incorrect", "key");
      mark.textContent = "";
      if (index === state.selected) label.classList.add("chosen");
      if (!fb || state.answerState !== "answered") continue;
      if (index === state.selected && fb.correct === true) {
        label.classList.add("correct");
        mark.textContent = "Your answer: correct";
      } else if (index === state.selected && fb.correct === false) {
        label.classList.add("incorrect");
        mark.textContent = "Your answer: incorrect";
      } else if (index === state.selected) {
        mark.textContent = "Your answer";
      }
      if (typeof fb.correct_option === "number" && index === fb.correct_option && index !== state.selected) {
        label.classList.add("key");
        mark.textContent = "Correct answer";
      }
    }
    if (fb && state.answerState === "answered") {
      let title = "Answer saved.";
      if (fb.correct === true) title = "Correct.";
      if (fb.correct === false) title = "Not correct.";
      $("feedback-title").textContent = title;
      const explanation = $("feedback-explanation");
      explanation.textContent = fb.explanation ? `Explanation: ${fb.explanation}` : "";
      explanation.hidden = !fb.explanation;
      const next = state.next;
      const nextButton = $("next-button");
      nextButton.textContent = next && next.type === "completed" ? "See your result" : "Next question";
      nextButton.disabled = !next;
      $("feedback").dataset.correct = fb.correct === undefined ? "" : String(fb.correct);
    }
  }

  function advance() {
    const next = state.next;
    if (!next) return;
    state.next = null;
    if (next.type === "completed") showCompleted(next.data || state.completed);
    else showQuestion(next.data);
  }

  function renderProgress() {
    const progress = $("progress");
    const total = state.total || 0;
    progress.max = Math.max(1, total);
    progress.value = Math.min(state.answered, total);
    $("progress-text").textContent = total ? `${state.answered} of ${total} answered` : "Not started";
    const score = $("score-text");
    score.hidden = state.score === null;
    if (state.score !== null) score.textContent = `Score so far: ${state.score}`;
  }

  const REASON_TEXT = {
    all_answered: "You answered every question.",
    submitted: "You handed in your assessment.",
    time_up: "Time is up. Your answers until then are saved.",
  };

  function showCompleted(result) {
    result = result || state.completed || {};
    state.completed = result;
    state.finished = true;
    dropPending(() => true);
    clearTimeout(state.reconnectTimer);
    stopHeartbeat();
    if (state.ws) {
      const ws = state.ws;
      state.ws = null;
      ws.close(1000, "finished");
    }
    setConnection("done");
    setView("completed");
    const title = $("completed-title");
    title.textContent = result.status === "timed_out" ? "Time is up" : "Assessment complete";
    $("completed-detail").textContent = REASON_TEXT[result.reason] || "This attempt has ended.";
    const facts = $("completed-facts");
    facts.replaceChildren();
    if (result.score !== undefined && result.score !== null) {
      facts.append(J.fact("Score", `${result.score} / ${result.max_score}`));
      if (result.percentage_score !== undefined) facts.append(J.fact("Percentage", J.formatPercent(result.percentage_score)));
      if (result.passed !== undefined && result.passed !== null) facts.append(J.fact("Result", result.passed ? "Passed" : "Not passed"));
    }
    const link = $("result-link");
    const id = result.assessment_id || state.assessmentId;
    link.href = `/results/${id}/`;
    link.hidden = !id;
    $("timer").textContent = "Finished";
    $("timer-box").dataset.level = "normal";
    if (result.status === "timed_out") announce("Time is up. Your answers are saved.", true);
    focusUnlessTyping(title);
  }

  function showTakeover() {
    state.replaced = true;
    clearTimeout(state.reconnectTimer);
    stopHeartbeat();
    if (state.view !== "takeover") state.viewBeforeTakeover = state.view;
    setView("takeover");
    setConnection("replaced");
    focusUnlessTyping($("takeover-title"));
  }

  function takeBack() {
    state.replaced = false;
    state.epoch = null; // taking over on purpose
    state.backoff = 0;
    // Back to what was on screen; the new connection's snapshot brings it up to date.
    const back = state.viewBeforeTakeover;
    setView(back && back !== "takeover" ? back : "loading");
    if (state.view === "question") renderQuestionState();
    connect();
  }

  const ERROR_TITLES = {
    attempts_exhausted: "You have used all your attempts",
    test_closed: "This test has closed",
    test_not_open: "This test has not opened yet",
    not_eligible: "You are not invited to this test",
    test_not_published: "This test is not available",
    test_not_found: "There is no such test",
    bank_empty: "This test has no questions yet",
  };

  function showError(error) {
    state.finished = true;
    clearTimeout(state.reconnectTimer);
    setConnection("done");
    setView("error");
    const code = error && error.code;
    $("error-title").textContent = ERROR_TITLES[code] || "You cannot take this test now";
    $("error-detail").textContent = (error && error.message) || "";
    focusUnlessTyping($("error-title"));
  }

  function showAnswerError(text) {
    const error = $("answer-error");
    error.textContent = text;
    error.hidden = false;
  }

  // ------------------------------------------------------------------ connection indicator

  const CONNECTION_TEXT = {
    connecting: "Connecting…",
    online: "Connected",
    reconnecting: "Connection lost. Reconnecting…",
    offline: "You are offline. Your answers are kept and will be sent when you are back online.",
    replaced: "Continued in another window",
    done: "Finished",
  };

  let connectionTimer = null;
  function setConnection(status) {
    const box = $("connection");
    box.dataset.state = status;
    root.dataset.connection = status;
    clearInterval(connectionTimer);
    const text = $("connection-text");
    const countdown = $("connection-retry");
    const retry = $("retry-now");
    if (text.textContent !== CONNECTION_TEXT[status]) text.textContent = CONNECTION_TEXT[status];
    const render = () => {
      let next = "";
      if ((status === "reconnecting" || status === "offline") && state.reconnectTimer && state.reconnectAt) {
        const seconds = Math.max(0, Math.ceil((state.reconnectAt - performance.now()) / 1000));
        if (seconds > 0) next = `Next try in ${seconds} s.`;
      }
      if (countdown.textContent !== next) countdown.textContent = next;
    };
    render();
    retry.hidden = !(status === "reconnecting" || status === "offline");
    if (!retry.hidden) connectionTimer = setInterval(render, 1000);
    if (state.view === "question") renderQuestionState();
  }

  // ------------------------------------------------------------------ announcements and chat

  function announce(text, urgent) {
    const region = urgent ? $("time-announcer") : $("status-announcer");
    region.textContent = "";
    // A fresh text node after a tick, so the same words are announced again.
    setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  function showAnnouncement(announcement) {
    // A snapshot lists announcements again after a reconnect: one dismissed here stays dismissed.
    if (announcement.announcement_id <= state.announcementDismissed) return;
    state.announcementShown = announcement.announcement_id;
    $("announcement-text").textContent = announcement.message;
    $("announcement").hidden = false;
  }

  function dismissAnnouncement() {
    $("announcement").hidden = true;
    state.announcementDismissed = Math.max(state.announcementDismissed, state.announcementShown || 0);
    sessionStorage.setItem(`jatayu.announcementDismissed.${testId}`, String(state.announcementDismissed));
  }

  function renderChat(entries) {
    // The snapshot holds the whole conversation so far: it replaces what this page showed.
    $("chat-log").replaceChildren();
    state.chatStreaming = null;
    for (const entry of entries) chatBubble(entry.role, entry.message);
    const sent = state.chatSent;
    state.chatSent = null;
    const asked = entries.filter((e) => e.role === "candidate");
    if (sent && (!asked.length || asked[asked.length - 1].message !== sent.text)) {
      // It never reached the server: give the words back rather than lose them.
      if (!$("chat-input").value) $("chat-input").value = sent.text;
      showChatError("Your last message was not delivered; send it again.");
    }
  }

  function showChatError(text) {
    $("chat-error").textContent = text;
    $("chat-error").hidden = false;
  }

  function chatBubble(role, text) {
    const bubble = el(
      "div",
      { class: `chat-message ${role}` },
      el("span", { class: "chat-author", text: role === "tutor" ? "Tutor" : "You" }),
      el("p", { class: "chat-text", text }),
    );
    $("chat-log").append(bubble);
    bubble.scrollIntoView({ block: "nearest" });
    return bubble;
  }

  function onTutorMessage(text) {
    state.chatSent = null;
    if (state.chatStreaming) {
      state.chatStreaming.querySelector(".chat-text").textContent = text;
      state.chatStreaming.removeAttribute("aria-busy");
      state.chatStreaming = null;
      return;
    }
    chatBubble("tutor", text);
  }

  function onTutorChunk(data) {
    if (!state.chatStreaming) {
      state.chatStreaming = chatBubble("tutor", "");
      state.chatStreaming.setAttribute("aria-busy", "true");
    }
    const text = state.chatStreaming.querySelector(".chat-text");
    text.textContent += data.delta || "";
    if (data.done) {
      state.chatStreaming.removeAttribute("aria-busy");
      state.chatStreaming = null;
    }
  }

  // ------------------------------------------------------------------ integrity

  function integrity(kind) {
    if (state.view !== "question") return;
    if (state.authed) send("integrity_event", { kind }, J.newId("i"));
    else if (state.integrityQueue.length < MAX_QUEUED_INTEGRITY) state.integrityQueue.push(kind);
  }

  function flushIntegrity() {
    const queued = state.integrityQueue.splice(0);
    for (const kind of queued) send("integrity_event", { kind }, J.newId("i"));
  }

  // ------------------------------------------------------------------ wiring

  function submitAnswer(event) {
    event.preventDefault();
    if (state.answerState !== "idle" || !state.question) return;
    if (state.selected === null) {
      showAnswerError("Choose an answer first.");
      const first = $("options").querySelector("input");
      if (first) first.focus();
      return;
    }
    const pending = { id: J.newId("a"), question_id: state.question.question_id, selected_option: state.selected };
    state.pending.push(pending);
    savePending();
    state.answerState = "pending";
    renderQuestionState();
    if (state.authed) sendPending(pending);
  }

  function wire() {
    const form = $("question-form");
    form.addEventListener("submit", submitAnswer);
    form.addEventListener("change", (event) => {
      if (event.target.name === "answer" && state.answerState === "idle") {
        state.selected = Number(event.target.value);
        renderQuestionState();
      }
    });
    form.addEventListener("keydown", (event) => {
      if (state.answerState !== "idle" || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "Enter" && event.target.name === "answer") {
        event.preventDefault();
        form.requestSubmit();
        return;
      }
      const number = Number(event.key);
      if (Number.isInteger(number) && number >= 1 && state.question && number <= state.question.options.length) {
        const radio = $(`option-${number - 1}`);
        radio.checked = true;
        radio.focus();
        state.selected = number - 1;
        renderQuestionState();
      }
    });
    $("next-button").addEventListener("click", advance);
    $("start-button").addEventListener("click", () => {
      startRequested = true;
      $("start-button").disabled = true;
      if (state.authed) startIfAsked();
      else reconnectNow();
    });
    $("take-back").addEventListener("click", takeBack);
    $("retry-now").addEventListener("click", reconnectNow);
    $("announcement-dismiss").addEventListener("click", dismissAnnouncement);
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("chat-input");
      const error = $("chat-error");
      const text = input.value.trim();
      if (!text) return;
      if (!state.authed) {
        error.textContent = "The tutor is available again once you are reconnected.";
        error.hidden = false;
        return;
      }
      error.hidden = true;
      const id = J.newId("c");
      state.chatSent = { id, text: text.slice(0, 2000) };
      send("chat_message", { message: state.chatSent.text }, id);
      chatBubble("candidate", text);
      input.value = "";
    });
    $("chat-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        $("chat-form").requestSubmit();
      }
    });

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
      const tests = await J.apiAll("/api/my/tests/");
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

  document.addEventListener("DOMContentLoaded", () => {
    if (!J.requireSignIn()) return;
    J.showAccount();
    wire();
    setView("loading");
    tick();
    loadTestInfo();
    connect();
  });
})();
