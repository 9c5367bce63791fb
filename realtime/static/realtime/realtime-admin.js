/**
 * The live admin: changelists that follow changes made by anyone, change forms that say
 * when someone else changed or deleted the record, and feeds of recent events; who else has
 * a record open is shown by realtime-admin-presence.js. Each part
 * starts from an element with a data-realtime attribute, rendered by the template tags of
 * realtime/templatetags/realtime.py. The admin's session authenticates the sockets.
 *
 * Text from the server is only ever shown with textContent. The one piece of HTML used is
 * the admin's own changelist, fetched from the same URL as the page and rendered by Django.
 */

import { RealtimeChannel } from "./realtime.js";
import { presenceOnChangeform, presenceOnChangelist, recordIdOf } from "./realtime-admin-presence.js";

const REFRESH_DEBOUNCE_MS = 150; // a burst of events costs one fetch
const REMOVED_ROW_MS = 700; // how long a deleted row shows in red before it goes
const STATE_LABELS = {
  connecting: "connecting…",
  open: "live",
  reconnecting: "reconnecting…",
  closed: "not live",
  failed: "offline: retrying when back online",
};

function lastEventIdOf(element) {
  const value = Number.parseInt(element.dataset.lastEventId, 10);
  return Number.isInteger(value) ? value : undefined;
}

function showState(element, state, detail = {}) {
  const status = element.querySelector(".realtime-status");
  if (!status) return;
  status.dataset.state = state;
  let label = STATE_LABELS[state] || state;
  if (state === "reconnecting" && detail.delay !== undefined) {
    label = `reconnecting in ${Math.ceil(detail.delay / 1000)} s…`;
  } else if (state === "closed" && detail.error && detail.error.message) {
    label = `not live: ${detail.error.message}`;
  }
  status.textContent = label;
}

/** A notice in the admin's own message style; parts are strings or {text, href} links. */
function showNotice(element, level, parts) {
  const list = element.querySelector(".realtime-notice");
  if (!list) return;
  const item = document.createElement("li");
  item.className = level;
  for (const part of parts) {
    if (typeof part === "string") {
      item.append(document.createTextNode(part));
    } else {
      const link = document.createElement("a");
      link.href = part.href;
      link.textContent = part.text;
      item.append(link);
    }
  }
  list.replaceChildren(item);
  list.hidden = false;
}

function timeOf(message) {
  const when = new Date(message.timestamp || Date.now());
  return Number.isNaN(when.getTime()) ? "" : when.toLocaleTimeString();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- changelist ------------------------------------------------------------------------
/** The key of a changelist row: the object's id, from its action checkbox or its change link. */
function rowKey(row) {
  const box = row.querySelector("input.action-select");
  if (box) return box.value;
  const link = row.querySelector("a[href]");
  const match = link && link.getAttribute("href").match(/\/([^/]+)\/change\/(?:\?.*)?$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function rowsOf(form) {
  const rows = new Map();
  if (!form) return rows;
  form.querySelectorAll("#result_list tbody tr").forEach((row) => {
    const key = rowKey(row);
    if (key === null) return;
    const values = [...row.querySelectorAll("input, select, textarea")]
      .filter((field) => !field.classList.contains("action-select"))
      .map((field) => (field.type === "checkbox" ? String(field.checked) : field.value));
    rows.set(key, { row, text: `${row.textContent}\u0000${values.join("\u0000")}` });
  });
  return rows;
}

function liveChangelist(element) {
  const idKey = element.dataset.idKey;
  let present = null; // who has the rows open, once the channel is there
  const named = new Set(); // ids that events named since the last refresh
  let timer = null;
  let running = false;
  let again = false;
  let editing = false; // the user typed into a list_editable field: never throw that away

  const form = () => document.getElementById("changelist-form");
  form()?.addEventListener("input", (event) => {
    const field = event.target;
    if (field.matches("input.action-select, #action-toggle, select[name=action], input.select-across")) return;
    editing = true;
  });

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  };

  async function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("changelist-form");
      const current = form();
      if (!fresh || !current) return;
      if (editing) {
        showNotice(element, "warning", [
          `Other people changed ${element.dataset.verboseNamePlural || "records"} while you were editing. `,
          { text: "Reload", href: window.location.href },
          " to see their changes (yours are not saved yet).",
        ]);
        return;
      }
      const before = rowsOf(current);
      const after = rowsOf(fresh);
      const gone = [...before.keys()].filter((key) => !after.has(key));
      if (gone.length) {
        gone.forEach((key) => before.get(key).row.classList.add("realtime-removed"));
        await sleep(REMOVED_ROW_MS);
      }
      swapChangelistForm(current, fresh);
      present?.refresh();
      for (const [key, { row, text }] of after) {
        const old = before.get(key);
        if (!old) row.classList.add("realtime-added");
        else if (old.text !== text || named.has(key)) row.classList.add("realtime-changed");
      }
      named.clear();
      element.dataset.refreshed = String(Number(element.dataset.refreshed || 0) + 1);
    } catch (error) {
      console.warn("realtime-admin: could not refresh the changelist", error);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  const channel = new RealtimeChannel(element.dataset.channel, {
    lastEventId: lastEventIdOf(element),
    onUpdate(message) {
      const id = message.data && message.data[idKey];
      if (id !== undefined && id !== null) named.add(String(id));
      schedule();
    },
    onResync: schedule, // too much was missed to replay: the fetch shows the current state anyway
    onStateChange: (state, detail) => showState(element, state, detail),
  });
  element.realtimeChannel = channel;
  present = presenceOnChangelist(element, channel, rowKey);
}

/** Put the freshly rendered changelist form in place of the old one, keeping the user's
 * ticked rows and chosen action, and let Django's actions.js work on the new rows. */
function swapChangelistForm(current, fresh) {
  const ticked = new Set([...current.querySelectorAll("input.action-select:checked")].map((box) => box.value));
  const action = current.querySelector("select[name=action]")?.value;
  const widths = [...current.querySelectorAll("#result_list thead th")].map(contentWidth);
  const adopted = document.adoptNode(fresh);
  current.replaceWith(adopted);
  keepColumnWidths(adopted, widths);
  adopted.querySelectorAll("input.action-select").forEach((box) => {
    if (ticked.has(box.value)) {
      box.checked = true;
      box.closest("tr")?.classList.add("selected");
    }
  });
  const select = adopted.querySelector("select[name=action]");
  if (select && action) select.value = action;
  const boxes = document.querySelectorAll("tr input.action-select");
  if (typeof window.Actions === "function" && boxes.length && document.getElementById("action-toggle")) {
    window.Actions(boxes);
    // actions.js counts the ticked rows on a change: let it count the ones kept.
    adopted.querySelector("input.action-select:checked")?.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

/** A cell's width without its padding: what its style.width means (content-box). */
function contentWidth(cell) {
  const style = getComputedStyle(cell);
  const padding = Number.parseFloat(style.paddingLeft) + Number.parseFloat(style.paddingRight);
  return cell.getBoundingClientRect().width - (style.boxSizing === "border-box" ? 0 : padding);
}

/** Columns do not jump when rows change: each keeps at least the width it had (a table
 * cell's width is a minimum), and widens only when new content needs it. */
function keepColumnWidths(form, widths) {
  const headers = form.querySelectorAll("#result_list thead th");
  if (headers.length !== widths.length) return; // other columns: nothing to keep
  headers.forEach((th, index) => {
    th.style.width = th.style.minWidth = `${widths[index]}px`;
  });
}

// --- change form -----------------------------------------------------------------------
function liveChangeform(element) {
  const idKey = element.dataset.idKey;
  const objectId = element.dataset.objectId;
  const what = element.dataset.verboseName || "record";
  let submitting = false; // our own save publishes an update too; it is not "someone else"
  // Bubbling, after the presence warning had its say: a save it held back is no save.
  document.addEventListener("submit", (event) => (submitting ||= !event.defaultPrevented));

  const channel = new RealtimeChannel(element.dataset.channel, {
    lastEventId: lastEventIdOf(element),
    onUpdate(message) {
      if (submitting || !message.data || String(message.data[idKey]) !== objectId) return;
      const at = timeOf(message);
      if (message.action === "deleted") {
        element.dataset.recordState = "deleted";
        showNotice(element, "error", [
          `This ${what} was deleted by someone else${at ? ` at ${at}` : ""}. Saving this form will not bring it back.`,
        ]);
      } else if (element.dataset.recordState !== "deleted") {
        element.dataset.recordState = "changed";
        showNotice(element, "warning", [
          `This ${what} was changed by someone else${at ? ` at ${at}` : ""}. `,
          { text: "Reload", href: window.location.href },
          " to see the changes; saving this form would overwrite them.",
        ]);
      }
    },
    onStateChange: (state, detail) => showState(element, state, detail),
  });
  channel.subscribe([recordIdOf(objectId)]);
  element.realtimeChannel = channel;
  presenceOnChangeform(element, channel);
}

// --- feed ------------------------------------------------------------------------------
const FEED_CLASSES = { created: "addlink", updated: "changelink", deleted: "deletelink" };

function liveFeed(element) {
  const list = element.querySelector(".realtime-feed-items");
  const empty = element.querySelector(".realtime-feed-empty");
  const limit = Number.parseInt(element.dataset.limit, 10) || 10;
  const textField = element.dataset.textField;

  const fieldOf = (data, name) => (name && data[name] !== undefined && data[name] !== null ? String(data[name]) : "");

  function add(message, fresh) {
    const item = document.createElement("li");
    const data = message.data || {};
    // An activity log's events are all "created": what happened, and to what, is in their data.
    const action = fieldOf(data, element.dataset.actionField) || message.action || message.notification_type || message.type;
    const kind = fieldOf(data, element.dataset.kindField) || message.entity_type;
    item.className = FEED_CLASSES[action] || "";
    item.dataset.eventId = String(message.event_id);
    const text = fieldOf(data, textField) || describe(message);
    const line = document.createElement("span");
    line.className = "realtime-feed-text";
    line.textContent = text;
    const meta = document.createElement("span");
    meta.className = "mini quiet";
    meta.textContent = [timeOf(message), kind && kind.replaceAll("_", " "), action].filter(Boolean).join(" · ");
    item.append(line, document.createElement("br"), meta);
    if (fresh) item.classList.add("realtime-added");
    list.prepend(item);
    while (list.children.length > limit) list.lastElementChild.remove();
    if (empty) empty.hidden = true;
  }

  const initial = document.getElementById(element.dataset.initial);
  JSON.parse(initial ? initial.textContent : "[]").forEach((message) => add(message, false));

  element.realtimeChannel = new RealtimeChannel(element.dataset.channel, {
    lastEventId: lastEventIdOf(element),
    onUpdate: (message) => add(message, true),
    onNotification: (message) => add(message, true),
    onStateChange: (state, detail) => showState(element, state, detail),
  });
}

function describe(message) {
  if (message.type === "notification") return `Notification ${message.notification_type}`;
  const data = message.data || {};
  const idKey = Object.keys(data).find((key) => key.endsWith("_id"));
  return `${message.entity_type} ${idKey ? `#${data[idKey]} ` : ""}${message.action}`;
}

const STARTERS = { changelist: liveChangelist, changeform: liveChangeform, feed: liveFeed };

document.querySelectorAll("[data-realtime]").forEach((element) => {
  const start = STARTERS[element.dataset.realtime];
  if (start && !element.realtimeChannel) start(element);
});
