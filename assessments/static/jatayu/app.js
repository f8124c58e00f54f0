/* Jatayu candidate app: what every page shares (tokens, API calls, the server clock, DOM helpers),
 * and the small pages (sign in, my tests, result). The assessment page is assessment.js.
 *
 * Tokens live in sessionStorage (this tab only) and travel in an Authorization header or the
 * socket's first message: never in a URL. Plain JavaScript, no build step, nothing from a CDN. */
(function () {
  "use strict";

  const KEYS = {
    access: "jatayu.access",
    refresh: "jatayu.refresh",
    skew: "jatayu.clockSkewMs",
  };

  // ------------------------------------------------------------------ DOM helpers

  /** el("p", {class: "x", text: "hi"}, child, …): build elements with text, never HTML. */
  function el(tag, attrs, ...children) {
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

  function $(id) {
    return document.getElementById(id);
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  /** A random id for client messages: unique enough to match the server's `ref`. */
  function newId(prefix) {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return prefix + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** ISO 8601 → epoch ms; the server sends microseconds, which not every parser takes. */
  function parseIso(iso) {
    if (!iso) return NaN;
    return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
  }

  function formatDateTime(iso) {
    const ms = parseIso(iso);
    if (Number.isNaN(ms)) return "";
    return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function formatMinutes(seconds) {
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }

  function formatPercent(value) {
    if (value === null || value === undefined) return "";
    return `${Number(value).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`;
  }

  // ------------------------------------------------------------------ server clock

  /* The server's clock, read without trusting the system clock: an offset to performance.now()
   * (monotonic, unaffected by clock changes) from the sample with the shortest round trip. Until a
   * sample exists, the skew measured when the tokens were issued (their `iat`) stands in. */
  const clock = {
    samples: [],
    offset: null,

    sample(serverIso, sentAt, receivedAt) {
      const serverMs = parseIso(serverIso);
      if (Number.isNaN(serverMs)) return;
      const rtt = sentAt === null || sentAt === undefined ? 1e6 : Math.max(0, receivedAt - sentAt);
      const middle = sentAt === null || sentAt === undefined ? receivedAt : (sentAt + receivedAt) / 2;
      const offset = serverMs - middle;
      // A jump beyond what the round trip explains: the monotonic clock stood still (the machine
      // slept) or the server's clock was corrected. Older samples no longer hold.
      if (this.offset !== null && Math.abs(offset - this.offset) > Math.min(rtt, 1e4) + 1000) this.samples = [];
      this.samples.push({ offset, rtt, at: receivedAt });
      this.samples = this.samples.slice(-8);
      let best = this.samples[0];
      for (const s of this.samples) if (s.rtt < best.rtt) best = s;
      this.offset = best.offset;
    },

    reset() {
      this.samples = [];
    },

    /** The server's time now, in epoch ms. */
    now() {
      if (this.offset !== null) return performance.now() + this.offset;
      const skew = Number(sessionStorage.getItem(KEYS.skew) || 0);
      return Date.now() - skew;
    },
  };

  // ------------------------------------------------------------------ tokens

  class SignedOut extends Error {}
  class NetworkError extends Error {}

  class ApiError extends Error {
    constructor(status, code, detail) {
      super(detail || code || `HTTP ${status}`);
      this.status = status;
      this.code = code;
      this.detail = detail;
    }
  }

  function claims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    } catch (e) {
      return null;
    }
  }

  const auth = {
    refreshing: null,
    timer: null,

    access() {
      return sessionStorage.getItem(KEYS.access);
    },

    signedIn() {
      return Boolean(sessionStorage.getItem(KEYS.refresh));
    },

    store(tokens) {
      sessionStorage.setItem(KEYS.access, tokens.access);
      if (tokens.refresh) sessionStorage.setItem(KEYS.refresh, tokens.refresh);
      const c = claims(tokens.access);
      // How far this machine's clock is from the server's, measured as the token arrives.
      if (c && c.iat) sessionStorage.setItem(KEYS.skew, String(Date.now() - c.iat * 1000));
      this.schedule();
    },

    clear() {
      for (const key of Object.keys(KEYS)) sessionStorage.removeItem(KEYS[key]);
      clearTimeout(this.timer);
    },

    /** Milliseconds until the access token should be replaced (0: now). */
    dueIn() {
      const token = this.access();
      const c = token && claims(token);
      if (!c || !c.exp) return 0;
      const lifetime = c.iat ? (c.exp - c.iat) * 1000 : 300000;
      const margin = Math.min(60000, lifetime / 5);
      return Math.max(0, c.exp * 1000 - margin - clock.now());
    },

    /** Keep the access token fresh in the background, before it expires. */
    schedule() {
      clearTimeout(this.timer);
      if (!this.signedIn()) return;
      // Timers of background tabs run late; never wait more than a minute between checks.
      this.timer = setTimeout(() => this.fresh().catch(() => {}), Math.min(this.dueIn(), 60000) + 50);
    },

    /** A valid access token, refreshed first when it is about to expire. */
    async fresh() {
      if (!this.signedIn()) throw new SignedOut("not signed in");
      if (this.access() && this.dueIn() > 0) {
        this.schedule();
        return this.access();
      }
      return this.refresh();
    },

    /** Exchange the refresh token (single flight: concurrent callers share one request). */
    refresh() {
      if (this.refreshing) return this.refreshing;
      const refresh = sessionStorage.getItem(KEYS.refresh);
      if (!refresh) return Promise.reject(new SignedOut("not signed in"));
      this.refreshing = (async () => {
        let response;
        try {
          response = await fetch("/api/auth/token/refresh/", {
            method: "POST",
            headers: { "Content-Type": "application/json", Accept: "application/json" },
            body: JSON.stringify({ refresh }),
            credentials: "omit",
            cache: "no-store",
          });
        } catch (e) {
          throw new NetworkError("offline");
        }
        if (response.status === 401 || response.status === 400) {
          this.clear();
          throw new SignedOut("session expired");
        }
        if (!response.ok) throw new NetworkError(`HTTP ${response.status}`);
        const tokens = await response.json();
        this.store(tokens);
        return tokens.access;
      })().finally(() => {
        this.refreshing = null;
      });
      return this.refreshing;
    },
  };

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) auth.schedule();
  });

  // ------------------------------------------------------------------ navigation

  function safeNext(value) {
    return typeof value === "string" && /^\/(?!\/)[A-Za-z0-9_\-/]*$/.test(value) ? value : null;
  }

  /** Go to the sign-in page, coming back here afterwards. */
  function toSignIn() {
    auth.clear();
    const next = safeNext(location.pathname);
    location.replace(next && next !== "/" ? `/?next=${encodeURIComponent(next)}` : "/");
  }

  // ------------------------------------------------------------------ API

  async function api(path, options) {
    const { method = "GET", body } = options || {};
    const call = async (token) => {
      try {
        return await fetch(path, {
          method,
          headers: {
            Accept: "application/json",
            Authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "omit",
          cache: "no-store",
        });
      } catch (e) {
        throw new NetworkError("offline");
      }
    };
    let response;
    try {
      response = await call(await auth.fresh());
      if (response.status === 401) response = await call(await auth.refresh());
    } catch (e) {
      if (e instanceof SignedOut) toSignIn();
      throw e;
    }
    if (response.status === 401) {
      toSignIn();
      throw new SignedOut("session expired");
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data && data.code, data && data.detail);
    return data;
  }

  /** Every row of a paged API list ({count, next, previous, results}), following `next` to the end. */
  async function apiAll(path) {
    const rows = [];
    let next = path;
    while (next) {
      const page = await api(next);
      rows.push(...page.results);
      // Keep only path and query: behind a TLS proxy the server may build `next` as http://.
      next = page.next && ((url) => url.pathname + url.search)(new URL(page.next, window.location.href));
    }
    return rows;
  }

  /** Pages behind sign-in: bounce to the sign-in page when there are no tokens. */
  function requireSignIn() {
    if (auth.signedIn()) {
      auth.schedule();
      return true;
    }
    toSignIn();
    return false;
  }

  async function showAccount() {
    const signOut = $("sign-out");
    if (!auth.signedIn()) return;
    signOut.hidden = false;
    signOut.addEventListener("click", async () => {
      const refresh = sessionStorage.getItem(KEYS.refresh);
      auth.clear();
      try {
        await fetch("/api/auth/logout/", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh }),
          credentials: "omit",
        });
      } catch (e) {
        /* signed out locally all the same */
      }
      location.replace("/");
    });
    try {
      const me = await api("/api/me/");
      $("whoami").textContent = `Signed in as ${me.username}`;
    } catch (e) {
      /* the page says what matters; the name is a courtesy */
    }
  }

  // ------------------------------------------------------------------ sign in

  function signInPage() {
    const params = new URLSearchParams(location.search);
    const next = safeNext(params.get("next")) || "/tests/";
    if (auth.signedIn()) {
      location.replace(next);
      return;
    }
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

  function scoreText(attempt) {
    if (attempt.score === undefined || attempt.score === null) return null;
    const parts = [`${attempt.score} / ${attempt.max_score}`];
    if (attempt.percentage_score !== null && attempt.percentage_score !== undefined) {
      parts.push(`(${formatPercent(attempt.percentage_score)})`);
    }
    if (attempt.passed === true) parts.push("· Passed");
    if (attempt.passed === false) parts.push("· Not passed");
    return parts.join(" ");
  }

  function fact(term, ...definition) {
    return el("div", {}, el("dt", { text: term }), el("dd", {}, ...definition));
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
    if (!requireSignIn()) return;
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
    if (!requireSignIn()) return;
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
        )
      : el("p", {
          id: "result-hidden",
          text: "Your answers were submitted. The recruiter shares results for this test with you directly.",
        });
    const parts = [summary, el("dl", { class: "facts" }, ...facts), skillBreakdown(attempt.skills)];
    body.replaceChildren(...parts.filter(Boolean));
    body.hidden = false;
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

  window.Jatayu = {
    el,
    $,
    show,
    newId,
    parseIso,
    formatDateTime,
    formatMinutes,
    formatPercent,
    fact,
    clock,
    auth,
    api,
    apiAll,
    requireSignIn,
    showAccount,
    toSignIn,
    SignedOut,
    NetworkError,
    ApiError,
    STATUS_TEXT,
    scoreText,
  };

  const pages = { "sign-in": signInPage, "my-tests": myTestsPage, result: resultPage };
  document.addEventListener("DOMContentLoaded", () => {
    const page = pages[document.body.dataset.page];
    if (page) page();
  });
})();
