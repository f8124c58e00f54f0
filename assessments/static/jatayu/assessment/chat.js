/* The tutor chat: the conversation from the snapshot, the tutor's replies (streamed in chunks or
 * whole), and sending the candidate's messages. */
import { $, el, newId } from "../shared.js";
import { send } from "./socket.js";
import { state } from "./state.js";

export function renderChat(entries) {
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

export function showChatError(text) {
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
  showNewest();
  return bubble;
}

// The log scrolls, not the page: keep its newest line in view as bubbles arrive and grow.
function showNewest() {
  const log = $("chat-log");
  log.scrollTop = log.scrollHeight;
}

export function onTutorMessage(text) {
  state.chatSent = null;
  if (state.chatStreaming) {
    state.chatStreaming.querySelector(".chat-text").textContent = text;
    state.chatStreaming.removeAttribute("aria-busy");
    state.chatStreaming = null;
    showNewest();
    return;
  }
  chatBubble("tutor", text);
}

export function onTutorChunk(data) {
  if (!state.chatStreaming) {
    state.chatStreaming = chatBubble("tutor", "");
    state.chatStreaming.setAttribute("aria-busy", "true");
  }
  const text = state.chatStreaming.querySelector(".chat-text");
  text.textContent += data.delta || "";
  showNewest();
  if (data.done) {
    state.chatStreaming.removeAttribute("aria-busy");
    state.chatStreaming = null;
  }
}

function sendChat(event) {
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
  const id = newId("c");
  state.chatSent = { id, text: text.slice(0, 2000) };
  // The question on screen, which after an answer is the one whose feedback shows, not the next one
  // the server may already have sent.
  const onScreen = state.view === "question" && state.question ? { question_id: state.question.question_id } : {};
  send("chat_message", { message: state.chatSent.text, ...onScreen }, id);
  chatBubble("candidate", text);
  input.value = "";
}

export function wireChat() {
  $("chat-form").addEventListener("submit", sendChat);
  $("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
}
