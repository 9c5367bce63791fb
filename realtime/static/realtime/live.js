/**
 * /live/: every channel's events as they arrive, for staff, with filters by channel and
 * action, counters and each channel's connection state. Everything the server sends is
 * shown with textContent: a record named <img src=x onerror=alert(1)> shows as that text.
 */

import { RealtimeChannel } from "./realtime.js";

const MAX_ROWS = 500;
const config = JSON.parse(document.getElementById("live-config").textContent);
const tbody = document.querySelector("#events tbody");
const empty = document.getElementById("events-empty");
const counts = { total: 0, byChannel: {}, byAction: {} };
const shown = { channels: new Set(config.channels), actions: new Set(config.actions) };
let paused = false;

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

/** A checkbox line of a filter list, with a counter and (for channels) a state. */
function filterLine(list, group, name) {
  const box = element("input", { type: "checkbox", checked: true, value: name });
  box.dataset.filter = group;
  box.addEventListener("change", () => {
    (box.checked ? shown[group].add(name) : shown[group].delete(name));
    applyFilters();
  });
  const label = element("label", {}, [box, ` ${name}`]);
  const count = element("span", { className: "count", textContent: "0" });
  count.id = `count-${group}-${name}`;
  const parts = [label];
  if (group === "channels") {
    const state = element("span", { className: "realtime-status", textContent: "connecting" });
    state.dataset.state = "connecting";
    state.id = `state-${name}`;
    parts.push(state);
  }
  parts.push(count);
  list.append(element("li", {}, parts));
}

config.channels.forEach((name) => filterLine(document.getElementById("channel-filters"), "channels", name));
config.actions.forEach((name) => filterLine(document.getElementById("action-filters"), "actions", name));

function matches(row) {
  return shown.channels.has(row.dataset.channel) && shown.actions.has(row.dataset.action);
}

function applyFilters() {
  let visible = 0;
  for (const row of tbody.rows) {
    row.hidden = !matches(row);
    if (!row.hidden) visible += 1;
  }
  document.getElementById("count-shown").textContent = String(visible);
  empty.hidden = tbody.rows.length > 0;
}

function bump(group, name) {
  const bucket = group === "channels" ? counts.byChannel : counts.byAction;
  bucket[name] = (bucket[name] || 0) + 1;
  const counter = document.getElementById(`count-${group}-${name}`);
  if (counter) counter.textContent = String(bucket[name]);
}

function recordOf(message) {
  if (message.type === "notification") return `user ${message.user_id}`;
  const data = message.data || {};
  const key = Object.keys(data).find((name) => name.endsWith("_id"));
  return key ? `${key} ${data[key]}` : "";
}

function receive(channelName, message) {
  const action = message.type === "notification" ? "notification" : message.action;
  counts.total += 1;
  document.getElementById("count-total").textContent = String(counts.total);
  bump("channels", channelName);
  bump("actions", action);
  if (paused) return;
  const when = new Date(message.timestamp);
  const cells = [
    Number.isNaN(when.getTime()) ? String(message.timestamp ?? "") : when.toLocaleTimeString(),
    String(message.event_id ?? ""),
    channelName,
    message.type === "notification" ? `notification ${message.notification_type}` : action,
    recordOf(message),
    JSON.stringify(message.data ?? null),
  ].map((text, index) => element("td", { textContent: text, className: index === 5 ? "data" : "" }));
  const row = element("tr", { className: "fresh" }, cells);
  row.dataset.channel = channelName;
  row.dataset.action = action;
  row.dataset.eventId = String(message.event_id ?? "");
  row.hidden = !matches(row);
  tbody.prepend(row);
  while (tbody.rows.length > MAX_ROWS) tbody.lastElementChild.remove();
  applyFilters();
}

function showState(name, state, detail) {
  const badge = document.getElementById(`state-${name}`);
  if (!badge) return;
  badge.dataset.state = state;
  badge.textContent = state === "closed" && detail.error ? `closed: ${detail.error.code}` : state;
}

document.getElementById("pause").addEventListener("click", (event) => {
  paused = !paused;
  event.target.textContent = paused ? "Resume" : "Pause";
});
document.getElementById("clear").addEventListener("click", () => {
  tbody.replaceChildren();
  applyFilters();
});

// One socket per channel, all resuming from the moment the page was rendered.
window.realtimeLive = Object.fromEntries(
  config.channels.map((name) => [
    name,
    new RealtimeChannel(name, {
      lastEventId: config.lastEventId,
      onUpdate: (message) => receive(name, message),
      onNotification: (message) => receive(name, message),
      onStateChange: (state, detail) => showState(name, state, detail),
    }),
  ]),
);
applyFilters();
