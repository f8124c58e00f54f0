/* What the candidate pages share with the server: tokens, API calls and the server's clock.
 *
 * Tokens live in sessionStorage (this tab only) and travel in an Authorization header or the
 * socket's first message: never in a URL. Tabs of the same browser hand them to each other over a
 * BroadcastChannel (same origin only, nothing written to disk): a new tab asks the open ones, and a
 * tab that refreshes its tokens tells the others, since the old refresh token is revoked on rotation. */
import { $, parseIso } from "./shared.js";

const KEYS = {
  access: "jatayu.access",
  refresh: "jatayu.refresh",
  skew: "jatayu.clockSkewMs",
};

// ------------------------------------------------------------------ server clock

/* The server's clock, read without trusting the system clock: an offset to performance.now()
 * (monotonic, unaffected by clock changes) from the sample with the shortest round trip. Until a
 * sample exists, the skew measured when the tokens were issued (their `iat`) stands in. */
export const clock = {
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

export class SignedOut extends Error {}
export class NetworkError extends Error {}

export class ApiError extends Error {
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

export const auth = {
  refreshing: null,
  timer: null,

  access() {
    return sessionStorage.getItem(KEYS.access);
  },

  signedIn() {
    return Boolean(sessionStorage.getItem(KEYS.refresh));
  },

  store(tokens, { fromOtherTab = false } = {}) {
    sessionStorage.setItem(KEYS.access, tokens.access);
    if (tokens.refresh) sessionStorage.setItem(KEYS.refresh, tokens.refresh);
    const c = claims(tokens.access);
    // How far this machine's clock is from the server's, measured as the token arrives.
    if (c && c.iat && !fromOtherTab) sessionStorage.setItem(KEYS.skew, String(Date.now() - c.iat * 1000));
    this.schedule();
    if (!fromOtherTab) tabs.share();
  },

  clear() {
    for (const key of Object.keys(KEYS)) sessionStorage.removeItem(KEYS[key]);
    clearTimeout(this.timer);
  },

  userId() {
    const c = claims(this.access() || "");
    return c ? c.user_id : null;
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
    // A little jitter: tabs sharing one token would otherwise all wake at the same moment.
    this.timer = setTimeout(() => this.fresh().catch(() => {}), Math.min(this.dueIn(), 60000) + 50 + Math.random() * 2000);
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

  /** Exchange the refresh token (single flight: concurrent callers share one request). Tabs share the
   * token, and a rotated one is revoked, so tabs of this browser take turns (a Web Lock): a tab that
   * waited finds the others' new pair already handed over, and uses it instead of refreshing again. */
  refresh() {
    if (this.refreshing) return this.refreshing;
    if (!sessionStorage.getItem(KEYS.refresh)) return Promise.reject(new SignedOut("not signed in"));
    const before = sessionStorage.getItem(KEYS.refresh);
    const exchange = () => {
      const refresh = sessionStorage.getItem(KEYS.refresh);
      if (refresh && refresh !== before && this.access() && this.dueIn() > 0) return this.access();
      return this.exchange(refresh);
    };
    this.refreshing = (navigator.locks ? navigator.locks.request("jatayu.refresh", exchange) : exchange()).finally(
      () => {
        this.refreshing = null;
      },
    );
    return this.refreshing;
  },

  exchange(refresh) {
    if (!refresh) return Promise.reject(new SignedOut("not signed in"));
    return (async () => {
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
        // Another tab rotated the shared refresh token first and handed this tab the new pair.
        const now = sessionStorage.getItem(KEYS.refresh);
        if (now && now !== refresh) return this.access();
        this.clear();
        throw new SignedOut("session expired");
      }
      if (!response.ok) throw new NetworkError(`HTTP ${response.status}`);
      const tokens = await response.json();
      this.store(tokens);
      return tokens.access;
    })();
  },
};

// ------------------------------------------------------------------ other tabs

const tabs = {
  channel: typeof BroadcastChannel === "function" ? new BroadcastChannel("jatayu.session") : null,
  waiting: null, // resolves when another tab answers our request for tokens

  share() {
    if (!this.channel || !auth.signedIn()) return;
    this.channel.postMessage({ type: "tokens", access: auth.access(), refresh: sessionStorage.getItem(KEYS.refresh) });
  },

  receive(message) {
    if (!message || typeof message !== "object") return;
    if (message.type === "ask") this.share();
    else if (message.type === "signed-out" && auth.signedIn() && message.user_id === auth.userId()) auth.clear();
    else if (message.type === "tokens" && message.access && message.refresh) {
      const tokens = { access: message.access, refresh: message.refresh };
      if (this.waiting) this.waiting(tokens);
      // Only another tab's newer tokens of the same user replace ours.
      else if (auth.signedIn() && claims(message.access)?.user_id === auth.userId()) {
        if (message.refresh !== sessionStorage.getItem(KEYS.refresh)) auth.store(tokens, { fromOtherTab: true });
      }
    }
  },

  /** Tokens from another open tab of this browser, or null when none answers within `ms`. */
  ask(ms) {
    if (!this.channel) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (tokens) => {
        clearTimeout(timer);
        this.waiting = null;
        resolve(tokens);
      };
      const timer = setTimeout(() => done(null), ms);
      this.waiting = done;
      this.channel.postMessage({ type: "ask" });
    });
  },
};
if (tabs.channel) tabs.channel.onmessage = (event) => tabs.receive(event.data);

/** Signed in here, or in another open tab of this browser, whose tokens this tab then shares. */
export async function adoptSession() {
  if (auth.signedIn()) return true;
  const tokens = await tabs.ask(400);
  if (!tokens) return false;
  auth.store(tokens, { fromOtherTab: true });
  return true;
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) auth.schedule();
});

// ------------------------------------------------------------------ navigation

export function safeNext(value) {
  return typeof value === "string" && /^\/(?!\/)[A-Za-z0-9_\-/]*$/.test(value) ? value : null;
}

/** Go to the sign-in page, coming back here afterwards. */
export function toSignIn() {
  auth.clear();
  const next = safeNext(location.pathname);
  location.replace(next && next !== "/" ? `/?next=${encodeURIComponent(next)}` : "/");
}

// ------------------------------------------------------------------ API

export async function api(path, options) {
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
export async function apiAll(path) {
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

/** Pages behind sign-in: bounce to the sign-in page when neither this tab nor another has tokens. */
export async function requireSignIn() {
  if (await adoptSession()) {
    auth.schedule();
    return true;
  }
  toSignIn();
  return false;
}

export async function showAccount() {
  const signOut = $("sign-out");
  if (!auth.signedIn()) return;
  signOut.hidden = false;
  signOut.addEventListener("click", async () => {
    const refresh = sessionStorage.getItem(KEYS.refresh);
    const userId = auth.userId();
    auth.clear();
    if (tabs.channel) tabs.channel.postMessage({ type: "signed-out", user_id: userId });
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
