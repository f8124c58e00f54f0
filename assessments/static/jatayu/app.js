/* Jatayu candidate app: the small pages (sign in, my tests, result), loaded on every page.
 * The assessment page is assessment/main.js; what the pages share is in shared.js and api.js.
 * Native ES modules: no build step, nothing from a CDN. */
import { adoptSession, auth, api, apiAll, requireSignIn, safeNext, showAccount, NetworkError, SignedOut } from "./api.js";
import { $, el, fact, formatDateTime, formatMinutes, formatPercent, scoreText } from "./shared.js";

// ------------------------------------------------------------------ sign in

function signInPage() {
  const params = new URLSearchParams(location.search);
  const next = safeNext(params.get("next")) || "/tests/";
  if (auth.signedIn()) {
    location.replace(next);
    return;
  }
  // Signed in in another tab: go on. The form works meanwhile (asking the other tabs takes a moment).
  adoptSession().then((adopted) => adopted && location.replace(next));
  const form = $("sign-in-form");
  const error = $("sign-in-error");
  const button = $("sign-in-button");
  $("username").focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    if (!username || !password) {
      error.textContent = "Enter your username and password.";
      error.hidden = false;
      (username ? $("password") : $("username")).focus();
      return;
    }
    error.hidden = true;
    button.disabled = true;
    button.textContent = "Signing in…";
    try {
      const response = await fetch("/api/auth/token/", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username, password }),
        credentials: "omit",
        cache: "no-store",
      });
      if (response.ok) {
        auth.store(await response.json());
        location.assign(next);
        return;
      }
      error.textContent =
        response.status === 401 || response.status === 400
          ? "That username and password do not match. Check them and try again."
          : "Signing in failed on our side. Please try again in a moment.";
    } catch (e) {
      error.textContent = "You seem to be offline. Check your connection and try again.";
    }
    error.hidden = false;
    button.disabled = false;
    button.textContent = "Sign in";
    $("password").focus();
  });
}

// ------------------------------------------------------------------ welcome (an emailed one-time link)

const LINK_ERRORS = {
  link_used: "This sign-in link was used already: a link signs you in once.",
  link_expired: "This sign-in link has expired.",
  link_invalid: "This sign-in link is not valid.",
};

async function welcomePage() {
  const secret = location.hash.slice(1);
  // The secret leaves the address bar (and the history) before anything else happens.
  history.replaceState(null, "", location.pathname);
  const status = $("welcome-status");
  const fail = (text) => {
    status.textContent = "You are not signed in.";
    $("welcome-error").textContent = `${text} Ask your recruiter for a new invitation, or sign in with a password if you have one.`;
    $("welcome-error").hidden = false;
    $("welcome-actions").hidden = false;
  };
  if (!secret) {
    fail(LINK_ERRORS.link_invalid);
    return;
  }
  let response;
  try {
    response = await fetch("/api/auth/link/", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ secret }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    fail("You seem to be offline: reload this page when you are back online (the link still works).");
    history.replaceState(null, "", `${location.pathname}#${secret}`);
    return;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    fail(LINK_ERRORS[data && data.code] || "Signing in failed on our side. Please try again in a moment.");
    return;
  }
  auth.store(data);
  location.replace(data.test ? `/assessment/${data.test}/` : "/tests/");
}

// ------------------------------------------------------------------ my tests

const WINDOW_TEXT = { upcoming: "Not open yet", open: "Open now", closed: "Closed" };
const STATUS_TEXT = {
  in_progress: "In progress",
  completed: "Completed",
  timed_out: "Time ran out",
  abandoned: "Abandoned",
  terminated: "Ended by the recruiter",
};

function windowText(test) {
  const opens = formatDateTime(test.opens_at);
  const closes = formatDateTime(test.closes_at);
  let span = "Any time";
  if (opens && closes) span = `${opens} – ${closes}`;
  else if (opens) span = `From ${opens}`;
  else if (closes) span = `Until ${closes}`;
  return `${span} (${WINDOW_TEXT[test.window] || test.window})`;
}

function testCard(test, attempts) {
  const titleId = `test-${test.id}-title`;
  let action = null;
  let note = null;
  if (test.state === "available") {
    action = el("a", {
      class: "button primary",
      href: `/assessment/${test.id}/`,
      text: test.attempts_used ? "Start a new attempt" : "Start",
      "aria-describedby": titleId,
    });
  } else if (test.state === "in_progress") {
    action = el("a", {
      class: "button primary",
      href: `/assessment/${test.id}/`,
      text: "Resume",
      "aria-describedby": titleId,
    });
  } else if (test.state === "upcoming") {
    note = `Opens ${formatDateTime(test.opens_at)}.`;
  } else if (test.state === "completed") {
    note = "You have used all your attempts.";
  } else if (test.state === "closed") {
    note = "This test has closed.";
  }
  const extra = test.time_multiplier > 1 ? " (includes your extra time)" : "";
  const finished = attempts.filter((a) => a.status !== "in_progress");
  return el(
    "li",
    { class: "card test-card", "data-test-id": test.id, "data-state": test.state },
    el("h2", { id: titleId, text: test.title }),
    test.description ? el("p", { class: "lead", text: test.description }) : null,
    el(
      "dl",
      { class: "facts" },
      fact("Window", windowText(test)),
      fact("Time limit", formatMinutes(test.time_limit_seconds) + extra),
      fact("Questions", String(test.total_questions)),
      fact(
        "Attempts",
        el("span", { class: "attempts-used", text: `${test.attempts_used} used` }),
        ", ",
        el("span", { class: "attempts-left", text: `${test.attempts_left} left` }),
        ` of ${test.max_attempts}`,
      ),
    ),
    finished.length
      ? el(
          "div",
          { class: "attempts" },
          el("h3", { text: "Your attempts" }),
          el(
            "ul",
            { class: "attempt-list" },
            finished.map((a) =>
              el(
                "li",
                { "data-assessment-id": a.id },
                `Attempt ${a.attempt}: ${STATUS_TEXT[a.status] || a.status}`,
                scoreText(a) ? ` · ${scoreText(a)}` : "",
                " · ",
                el("a", { href: `/results/${a.id}/`, text: "View result" }),
              ),
            ),
          ),
        )
      : null,
    note ? el("p", { class: "note", text: note }) : null,
    action ? el("p", { class: "actions" }, action) : null,
  );
}

async function myTestsPage() {
  if (!(await requireSignIn())) return;
  showAccount();
  const status = $("tests-status");
  const list = $("tests");
  try {
    const [tests, attempts] = await Promise.all([apiAll("/api/my/tests/"), apiAll("/api/my/assessments/")]);
    list.replaceChildren(...tests.map((t) => testCard(t, attempts.filter((a) => a.test === t.id))));
    list.hidden = tests.length === 0;
    status.textContent = tests.length
      ? `${tests.length} test${tests.length === 1 ? "" : "s"} for you.`
      : "There is no test for you yet. Your recruiter will invite you.";
  } catch (e) {
    if (e instanceof SignedOut) return;
    status.textContent =
      e instanceof NetworkError
        ? "You seem to be offline. Reload the page when you are back online."
        : "Your tests could not be loaded. Please reload the page.";
  }
}

// ------------------------------------------------------------------ result

async function resultPage() {
  if (!(await requireSignIn())) return;
  showAccount();
  const id = Number($("result").dataset.assessmentId);
  const status = $("result-status");
  const body = $("result-body");
  let attempt;
  try {
    const attempts = await apiAll("/api/my/assessments/");
    attempt = attempts.find((a) => a.id === id);
  } catch (e) {
    if (e instanceof SignedOut) return;
    status.textContent = "Your result could not be loaded. Please reload the page.";
    return;
  }
  if (!attempt) {
    status.textContent = "There is no such attempt of yours.";
    return;
  }
  $("result-title").textContent = `Your result: ${attempt.test_title}`;
  document.title = `Result: ${attempt.test_title} · Jatayu`;
  if (attempt.status === "in_progress") {
    status.textContent = "This attempt is still in progress.";
    body.replaceChildren(
      el("p", {}, el("a", { class: "button primary", href: `/assessment/${attempt.test}/`, text: "Resume it" })),
    );
    body.hidden = false;
    return;
  }
  status.textContent = STATUS_TEXT[attempt.status] || attempt.status;
  const facts = [
    fact("Attempt", String(attempt.attempt)),
    fact("Status", STATUS_TEXT[attempt.status] || attempt.status),
    fact("Started", formatDateTime(attempt.started_at)),
    attempt.ended_at ? fact("Finished", formatDateTime(attempt.ended_at)) : null,
  ];
  const hasScore = attempt.score !== undefined && attempt.score !== null;
  const summary = hasScore
    ? el(
        "div",
        { class: "score-summary" },
        el("p", { class: "big-score", id: "result-score", text: `${attempt.score} / ${attempt.max_score}` }),
        el("p", { id: "result-percentage", text: formatPercent(attempt.percentage_score) }),
        attempt.passed === null || attempt.passed === undefined
          ? null
          : el("p", {
              id: "result-passed",
              class: attempt.passed ? "passed" : "not-passed",
              text: attempt.passed ? "Passed" : "Not passed",
            }),
        attempt.pass_percentage === null || attempt.pass_percentage === undefined
          ? null
          : el("p", { id: "result-pass-mark", text: `Pass mark: ${formatPercent(attempt.pass_percentage)}` }),
      )
    : el("p", {
        id: "result-hidden",
        text: "Your answers were submitted. The recruiter shares results for this test with you directly.",
      });
  const parts = [summary, el("dl", { class: "facts" }, ...facts), skillBreakdown(attempt.skills)];
  body.replaceChildren(...parts.filter(Boolean));
  body.hidden = false;
  try {
    const review = await api(`/api/my/assessments/${attempt.id}/review/`);
    if (review.questions.length) body.append(answerReview(review));
  } catch (e) {
    /* the result stands without the review */
  }
}

/** Each question with the answer given, right or not, and (under full feedback) the right one. */
function answerReview(review) {
  const full = review.feedback_mode === "full";
  const items = review.questions.map((q) => {
    const verdict = q.void
      ? "Not counted (the recruiter withdrew this question)."
      : q.correct === null
        ? "Not answered."
        : q.correct
          ? "Correct."
          : q.credit > 0
            ? `Partly correct (${formatPercent(q.credit * 100)} of the question).`
            : "Not correct.";
    return el(
      "li",
      { class: "review-item", "data-position": q.position },
      el("p", { class: "review-prompt", text: q.prompt }),
      el(
        "ul",
        { class: "review-options" },
        q.options.map((text, index) =>
          el(
            "li",
            { class: [q.chosen.includes(index) ? "chosen" : "", full && q.key.includes(index) ? "key" : ""].join(" ").trim() },
            text,
            q.chosen.includes(index) ? " (your answer)" : "",
            full && q.key.includes(index) ? " (right answer)" : "",
          ),
        ),
      ),
      el("p", {
        class: q.void || q.correct === null ? "review-verdict" : `review-verdict ${q.correct ? "passed" : "not-passed"}`,
        text: verdict,
      }),
      full && q.explanation ? el("p", { class: "review-explanation", text: q.explanation }) : null,
    );
  });
  return el(
    "section",
    { id: "result-review", "aria-labelledby": "review-title" },
    el("h2", { id: "review-title", text: "Your answers" }),
    el("ol", { class: "review" }, items),
  );
}

/** Per skill: questions answered correctly out of those asked (absent when the mode hides scores). */
function skillBreakdown(skills) {
  const names = Object.keys(skills || {});
  if (!names.length) return null;
  const rows = names.map((name) =>
    el("tr", {}, el("th", { scope: "row", text: name }), el("td", { text: `${skills[name].correct} of ${skills[name].asked}` })),
  );
  return el(
    "table",
    { class: "skills", id: "result-skills" },
    el("caption", { text: "By skill" }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Skill" }), el("th", { scope: "col", text: "Correct" }))),
    el("tbody", {}, ...rows),
  );
}

// ------------------------------------------------------------------ start

const pages = { "sign-in": signInPage, welcome: welcomePage, "my-tests": myTestsPage, result: resultPage };
document.addEventListener("DOMContentLoaded", () => {
  const page = pages[document.body.dataset.page];
  if (page) page();
});
