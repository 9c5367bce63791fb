/**
 * The example page of the browser client (docs/client.md): sign in over the REST API (or
 * paste a token, or use the session), open a channel, and show what arrives, as text.
 *
 * Query parameters tune it for trying things out: ?channel=<name>, ?delay=<ms> (first
 * reconnect delay), ?attempts=<n>, ?heartbeat=<ms> and ?timeout=<ms> (ping interval and
 * how long to wait for an answer), ?connect_timeout=<ms> (how long a handshake may take).
 */

import { RealtimeChannel, disablePush, enablePush, onPushMessage } from "./realtime.js";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(window.location.search);
const MAX_ITEMS = 200;

function numberParam(name) {
  const value = Number.parseInt(query.get(name) || "", 10);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

const tuning = Object.fromEntries(
  Object.entries({
    reconnectDelay: numberParam("delay"),
    maxAttempts: numberParam("attempts"),
    heartbeatInterval: numberParam("heartbeat"),
    heartbeatTimeout: numberParam("timeout"),
    connectTimeout: numberParam("connect_timeout"),
  }).filter(([, value]) => value !== undefined),
);

if (query.get("channel")) $("channel").value = query.get("channel");

/** Prepend a line of text to a list, keeping it short. */
function addLine(list, text, className = "") {
  const item = document.createElement("li");
  item.textContent = text;
  if (className) item.className = className;
  list.prepend(item);
  while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
  return item;
}

function now() {
  return new Date().toLocaleTimeString();
}

function showProblem(text) {
  $("problem").textContent = text;
  $("problem").hidden = !text;
}

// --- tokens: a pair from the API, refreshed when the access token expires ---------------
async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
  return data;
}

function expiresSoon(jwt) {
  try {
    const payload = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" && payload.exp * 1000 < Date.now() + 30_000;
  } catch (_) {
    return false; // not ours to judge: let the server say
  }
}

function tokenSource(pair) {
  return async () => {
    if (pair.refresh && expiresSoon(pair.access)) {
      pair.access = (await postJson("/api/auth/token/refresh/", { refresh: pair.refresh })).access;
    }
    return pair.access;
  };
}

// --- the channel -----------------------------------------------------------------------
let channel = null;
let currentToken = null; // what the last connect signed in with, for the push switch

function render(state, detail) {
  $("state").textContent = state;
  $("state").dataset.state = state;
  const parts = [now(), state];
  if (detail.attempt) parts.push(`attempt ${detail.attempt}`);
  if (detail.delay !== undefined) parts.push(`in ${detail.delay} ms`);
  if (detail.code) parts.push(`close code ${detail.code}`);
  if (detail.error && detail.error.code) parts.push(`${detail.error.code}: ${detail.error.message}`);
  addLine($("log"), parts.join(" · "));
  if (state === "closed" && detail.error) showProblem(`Refused: ${detail.error.message} (code ${detail.code})`);
}

async function open(event) {
  event?.preventDefault();
  showProblem("");
  if (channel) channel.destroy();
  let token = $("token").value.trim() || null;
  try {
    if (!token && $("username").value) {
      const pair = await postJson("/api/auth/token/", { username: $("username").value, password: $("password").value });
      token = tokenSource(pair);
    }
  } catch (error) {
    showProblem(`Sign-in failed: ${error.message}`);
    return;
  }
  currentToken = token;
  channel = new RealtimeChannel($("channel").value, {
    ...tuning,
    token: token || undefined,
    onStateChange: render,
    onOpen: (message) => {
      $("user-id").textContent = message.user_id ?? "anonymous";
    },
    onUpdate: (message) => {
      const item = addLine(
        $("events"),
        `#${message.event_id} ${message.entity_type} ${message.action} ${JSON.stringify(message.data)}`,
        `action-${message.action}`,
      );
      item.dataset.eventId = String(message.event_id);
    },
    onNotification: (message) => {
      addLine($("notifications"), `#${message.event_id} ${message.notification_type} ${JSON.stringify(message.data)}`);
    },
    onResync: () => addLine($("log"), `${now()} · resync required: reload the state over the REST API`),
    onMessage: () => {
      $("last-event-id").textContent = channel.lastEventId ?? "–";
    },
  });
  window.realtimeExample.channel = channel;
}

$("connect-form").addEventListener("submit", open);
$("disconnect").addEventListener("click", () => channel?.close());
$("reconnect").addEventListener("click", () => channel?.reconnect());

// --- Web Push: the switch subscribes this browser for the user signed in above ---------------
$("push-switch").addEventListener("change", async (event) => {
  const on = event.target.checked;
  showProblem("");
  try {
    if (on) {
      const saved = await enablePush({ token: currentToken || undefined });
      addLine($("log"), `${now()} · push on (subscription ${saved.id})`);
    } else {
      await disablePush({ token: currentToken || undefined });
      addLine($("log"), `${now()} · push off`);
    }
  } catch (error) {
    event.target.checked = !on;
    showProblem(`Push: ${error.message}`);
  }
});
onPushMessage((message) => {
  const item = addLine($("notifications"), `push ${message.type}: ${message.title || message.notification_type || ""}`, "push");
  item.dataset.notificationId = String(message.notification_id ?? "");
});

// For the console (and the browser tests): the current RealtimeChannel.
window.realtimeExample = { channel: null, RealtimeChannel };
