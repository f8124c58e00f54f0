/* Rendering the assessment page: which view shows, the question and its feedback, progress, the
 * connection indicator and what screen readers announce. Every text goes in as text, never HTML. */
import { clock } from "../api.js";
import { $, el, fact, formatMinutes, formatPercent, scoreText } from "../shared.js";
import { dropPending } from "./outbox.js";
import { closeFinished, stopHeartbeat } from "./socket.js";
import { isChosen, root, state, testId } from "./state.js";

const VIEWS = {
  loading: "view-loading",
  intro: "view-intro",
  question: "question-form",
  completed: "view-completed",
  takeover: "view-takeover",
  error: "view-error",
};

export function setView(view) {
  state.view = view;
  for (const [name, id] of Object.entries(VIEWS)) $(id).hidden = name !== view;
  root.dataset.view = view;
  // The tutor needs this window's connection: gone once the attempt is over or continues elsewhere.
  $("chat").hidden = view === "completed" || view === "takeover" || view === "error";
}

function focusUnlessTyping(node) {
  if (!$("chat").contains(document.activeElement)) node.focus();
}

export function showIntro(lastResult) {
  state.introResult = lastResult;
  setView("intro");
  const info = state.testInfo;
  const facts = $("intro-facts");
  const button = $("start-button");
  const note = $("intro-note");
  facts.replaceChildren();
  if (info) {
    facts.append(
      fact("Questions", String(info.total_questions)),
      fact("Time limit", formatMinutes(info.time_limit_seconds)),
      fact("Attempts left", `${info.attempts_left} of ${info.max_attempts}`),
    );
  }
  note.hidden = true;
  button.hidden = false;
  button.disabled = false;
  if (lastResult) {
    const score = scoreText(lastResult);
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

// How a question with several correct options is scored, in the words the candidate reads.
export const SCORING_TEXT = {
  all_or_nothing: "You earn this question only by choosing exactly the correct options.",
  partial: "Each correct option you choose earns part of the marks and each wrong one takes a part away, never below zero.",
};

export function isMultiple(question) {
  return Boolean(question) && question.kind === "multiple";
}

export function showQuestion(question) {
  const multiple = isMultiple(question);
  state.question = question;
  state.selected = multiple ? [] : null;
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
  const hint = $("multi-hint");
  hint.hidden = !multiple;
  hint.textContent = multiple ? `Choose every correct answer. ${SCORING_TEXT[question.scoring] || ""}`.trim() : "";
  $("options").dataset.kind = multiple ? "multiple" : "single";
  $("options").replaceChildren(
    ...question.options.map((text, index) =>
      el(
        "label",
        { class: "option", for: `option-${index}`, "data-index": index },
        el("input", { type: multiple ? "checkbox" : "radio", name: "answer", id: `option-${index}`, value: index }),
        el("span", { class: "option-key", "aria-hidden": "true", text: String(index + 1) }),
        el("span", { class: "option-text", text }),
        el("span", { class: "option-mark" }),
      ),
    ),
  );
  if (state.deadlineMs === null && typeof question.time_remaining_seconds === "number") {
    state.deadlineMs = clock.now() + question.time_remaining_seconds * 1000;
  }
  renderQuestionState();
  renderProgress();
  focusUnlessTyping($("question-prompt"));
}

export function renderQuestionState() {
  const q = state.question;
  if (!q) return;
  const answering = state.answerState === "idle";
  $("options").querySelectorAll("input[name=answer]").forEach((input) => {
    input.checked = isChosen(Number(input.value));
    input.disabled = !answering;
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
  const key = fb && Array.isArray(fb.correct_options) ? fb.correct_options : null; // a multiple question, under full
  for (const label of $("options").querySelectorAll(".option")) {
    const index = Number(label.dataset.index);
    const mark = label.querySelector(".option-mark");
    const chosen = isChosen(index);
    label.classList.remove("chosen", "correct", "incorrect", "key");
    mark.textContent = "";
    if (chosen) label.classList.add("chosen");
    if (!fb || state.answerState !== "answered") continue;
    if (isMultiple(q)) {
      markMultiple(label, mark, chosen, key ? key.includes(index) : null);
      continue;
    }
    if (chosen && fb.correct === true) {
      label.classList.add("correct");
      mark.textContent = "Your answer: correct";
    } else if (chosen && fb.correct === false) {
      label.classList.add("incorrect");
      mark.textContent = "Your answer: incorrect";
    } else if (chosen) {
      mark.textContent = "Your answer";
    }
    if (typeof fb.correct_option === "number" && index === fb.correct_option && !chosen) {
      label.classList.add("key");
      mark.textContent = "Correct answer";
    }
  }
  if (fb && state.answerState === "answered") {
    $("feedback-title").textContent = feedbackTitle(fb);
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

/** Under full feedback each option of a multiple question says what it was: `isKey` is null when the
 * key is not shown (feedback mode correctness), and only the choices are marked. */
function markMultiple(label, mark, chosen, isKey) {
  if (isKey === null) {
    if (chosen) mark.textContent = "Your choice";
  } else if (chosen && isKey) {
    label.classList.add("correct");
    mark.textContent = "Your choice: correct";
  } else if (chosen) {
    label.classList.add("incorrect");
    mark.textContent = "Your choice: not correct";
  } else if (isKey) {
    label.classList.add("key");
    mark.textContent = "Correct answer, not chosen";
  }
}

/** "Correct.", "Not correct." or, for partial credit, "Partly correct: 2 of 3". */
export function feedbackTitle(fb) {
  if (typeof fb.credit === "number" && fb.credit > 0 && fb.credit < 1) {
    return `Partly correct: ${creditText(fb.credit, Array.isArray(fb.correct_options) ? fb.correct_options.length : null)}`;
  }
  if (fb.correct === true) return "Correct.";
  if (fb.correct === false) return "Not correct.";
  return "Answer saved.";
}

/** A share of a question as "n of k": k is the number of correct options when the feedback shows the
 * key, otherwise the smallest k (up to 6 options) that the credit is a whole number of k-ths of. */
export function creditText(credit, correctCount) {
  const candidates = correctCount ? [correctCount] : [2, 3, 4, 5, 6];
  for (const k of candidates) {
    const n = Math.round(credit * k);
    if (Math.abs(credit * k - n) < 0.01) return `${n} of ${k}`;
  }
  return `${Math.round(credit * 100)}% of the marks`;
}

export function advance() {
  const next = state.next;
  if (!next) return;
  state.next = null;
  if (next.type === "completed") showCompleted(next.data || state.completed);
  else showQuestion(next.data);
}

export function renderProgress() {
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
  time_up: "Your answers until then are saved.", // under the heading "Time is up"
};

export function showCompleted(result) {
  result = result || state.completed || {};
  state.completed = result;
  state.finished = true;
  dropPending(() => true);
  closeFinished();
  setConnection("done");
  setView("completed");
  const title = $("completed-title");
  title.textContent = result.status === "timed_out" ? "Time is up" : "Assessment complete";
  $("completed-detail").textContent = REASON_TEXT[result.reason] || "This attempt has ended.";
  const facts = $("completed-facts");
  facts.replaceChildren();
  if (result.score !== undefined && result.score !== null) {
    facts.append(fact("Score", `${result.score} / ${result.max_score}`));
    if (result.percentage_score !== undefined) facts.append(fact("Percentage", formatPercent(result.percentage_score)));
    if (result.passed !== undefined && result.passed !== null) facts.append(fact("Result", result.passed ? "Passed" : "Not passed"));
    if (result.pass_percentage !== undefined && result.pass_percentage !== null) facts.append(fact("Pass mark", formatPercent(result.pass_percentage)));
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

export function showTakeover() {
  state.replaced = true;
  clearTimeout(state.reconnectTimer);
  stopHeartbeat();
  if (state.view !== "takeover") state.viewBeforeTakeover = state.view;
  setView("takeover");
  setConnection("replaced");
  focusUnlessTyping($("takeover-title"));
}

export const ERROR_TITLES = {
  attempts_exhausted: "You have used all your attempts",
  test_closed: "This test has closed",
  test_not_open: "This test has not opened yet",
  not_eligible: "You are not invited to this test",
  test_not_published: "This test is not available",
  test_not_found: "There is no such test",
  bank_empty: "This test has no questions yet",
};

export function showError(error) {
  state.finished = true;
  clearTimeout(state.reconnectTimer);
  setConnection("closed");
  $("timer-box").hidden = true; // no attempt, so no time to show
  setView("error");
  const code = error && error.code;
  $("error-title").textContent = ERROR_TITLES[code] || "You cannot take this test now";
  $("error-detail").textContent = (error && error.message) || "";
  focusUnlessTyping($("error-title"));
}

export function showAnswerError(text) {
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
  closed: "Not connected",
};

let connectionTimer = null;
export function setConnection(status) {
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

// ------------------------------------------------------------------ announcements

export function announce(text, urgent) {
  const region = urgent ? $("time-announcer") : $("status-announcer");
  region.textContent = "";
  // A fresh text node after a tick, so the same words are announced again.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

export function showAnnouncement(announcement) {
  // A snapshot lists announcements again after a reconnect: one dismissed here stays dismissed.
  if (announcement.announcement_id <= state.announcementDismissed) return;
  state.announcementShown = announcement.announcement_id;
  $("announcement-text").textContent = announcement.message;
  $("announcement").hidden = false;
}

export function dismissAnnouncement() {
  $("announcement").hidden = true;
  state.announcementDismissed = Math.max(state.announcementDismissed, state.announcementShown || 0);
  sessionStorage.setItem(`jatayu.announcementDismissed.${testId}`, String(state.announcementDismissed));
}
