/* What the assessment page knows, in one object that every module of the page reads and updates. */

export const root = document.getElementById("assessment");
export const testId = Number(root.dataset.testId);

export const state = {
  // The socket (socket.js)
  ws: null,
  opening: false,
  backoff: 0,
  reconnectTimer: null,
  reconnectAt: null,
  heartbeatTimer: null,
  pongTimer: null,
  heartbeats: new Map(), // id → performance.now() when sent
  roundTripMs: null, // from the last heartbeat to its pong, sent with the next heartbeat

  // The session (session.js)
  authed: false,
  authSentAt: null,
  replaced: false,
  epoch: null, // the session epoch this window holds (from auth_success)
  finished: false, // nothing more to do on this page: no reconnects
  lastError: null,
  authFailures: 0,
  expiredAgain: false,
  hadSession: false,
  lastSeq: 0, // the highest seq processed on this page
  snapshotSeq: 0, // events up to this seq are already reflected in the last snapshot
  startRequested: false, // the candidate pressed Start; sent once authenticated
  startSentAt: null,

  // The attempt
  testInfo: null,
  assessmentId: null,
  feedbackMode: null,
  deadlineMs: null,
  answered: 0,
  total: 0,
  score: null,
  timeLimitSeconds: null, // the attempt's whole time: the timer's colours scale with a short test
  warned: new Set(),
  timeUpAsked: false,

  // What is on screen (views.js)
  view: "loading",
  viewBeforeTakeover: null,
  introResult: null,
  question: null,
  selected: null, // the option chosen (an index), or for a "multiple" question the list chosen
  answerState: "idle", // idle | pending | answered
  feedback: null,
  next: null, // what follows the answered question: {type: "question" | "completed", data}
  completed: null,

  // Waiting to be sent or acknowledged (outbox.js)
  pending: [],
  integrityQueue: [],

  // The tutor (chat.js) and announcements
  chatStreaming: null,
  chatSent: null, // {id, text}: the chat message waiting for the tutor's reply
  announcementShown: null, // id of the announcement in the banner
  announcementDismissed: Number(sessionStorage.getItem(`jatayu.announcementDismissed.${testId}`) || 0),
};

/** Whether the candidate has chosen anything to send: an option, or at least one of a multiple question's. */
export function hasChoice() {
  return Array.isArray(state.selected) ? state.selected.length > 0 : state.selected !== null;
}

/** Whether the option at this (served) index is chosen. */
export function isChosen(index) {
  return Array.isArray(state.selected) ? state.selected.includes(index) : state.selected === index;
}
