/* The countdown, on the server's clock (api.js `clock`): a wrong system clock or a throttled
 * background tab cannot make it drift or run out early. The server decides when time is up. */
import { clock } from "../api.js";
import { $, formatClock, parseIso } from "../shared.js";
import { queueAnswer, sendPending } from "./outbox.js";
import { send } from "./socket.js";
import { hasChoice, state } from "./state.js";
import { announce } from "./views.js";

export const WARN_AT_SECONDS = [300, 60];

export function setDeadline(iso) {
  const ms = parseIso(iso);
  if (!Number.isNaN(ms)) state.deadlineMs = ms;
  tick();
}

function remainingMs() {
  return state.deadlineMs === null ? null : state.deadlineMs - clock.now();
}

let tickTimer = null;
/** Redraw the countdown just after each whole second changes, from the server clock each time. */
export function tick() {
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
  box.dataset.level = timerLevel(seconds, state.timeLimitSeconds);
  const due = WARN_AT_SECONDS.filter((at) => seconds <= at && !state.warned.has(at));
  if (due.length && seconds > 0 && state.view === "question") warn(Math.min(...due), seconds);
  if (seconds === 0 && state.view === "question" && !state.timeUpAsked && state.authed) {
    state.timeUpAsked = true; // the server decides: it answers with assessment_completed (timed_out)
    if (hasChoice() && state.answerState === "idle" && state.question) {
      // The option chosen but not yet submitted goes in now, as Moodle does; the server takes it
      // within its grace after the deadline, then ends the attempt.
      const pending = queueAnswer(state.question.question_id, state.selected);
      state.answerState = "pending";
      sendPending(pending);
    } else {
      send("get_question", {});
    }
  }
  const untilNextSecond = left > 0 ? (left % 1000) + 15 : 1000;
  tickTimer = setTimeout(tick, Math.max(20, untilNextSecond));
}

/** Red in the last minute; amber in the last 5 minutes, but never in the first half of the time, so
 * a 3-minute test is not amber from its first second. */
export function timerLevel(seconds, limitSeconds) {
  if (seconds <= 60) return "danger";
  if (seconds <= Math.min(300, (limitSeconds || Infinity) / 2)) return "warning";
  return "normal";
}

/** Announce a time warning once per threshold, whether the server's or this page's clock gets there first. */
export function warn(threshold, secondsLeft) {
  if (state.warned.has(threshold)) return;
  for (const at of WARN_AT_SECONDS) if (at >= threshold) state.warned.add(at);
  const minutes = Math.max(1, Math.ceil(secondsLeft / 60));
  announce(`${minutes === 1 && secondsLeft < 60 ? "Less than 1 minute" : `${minutes} minute${minutes === 1 ? "" : "s"}`} left.`, true);
}
