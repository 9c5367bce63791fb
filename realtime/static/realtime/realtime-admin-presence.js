/**
 * Presence in the live admin (docs/admin.md): a change form shows who else has the record open
 * and who is editing it, and asks for a second click on Save while someone else edits; a
 * changelist marks the rows someone else has open. Used by realtime-admin.js on the channel
 * it already has open for the page. Names come from the server and are shown as text only.
 */

import { PRESENCE_LIMITS, PresenceState, presence, watchPresence } from "./realtime.js";

/** A record id as the events carry it: a number when it is one, else the string. */
export function recordIdOf(text) {
  return /^\d+$/.test(text) ? Number(text) : text;
}

const nameOf = (member) => member.name || `user ${member.user_id}`;
const editing = (members) => members.filter((member) => member.state === PresenceState.EDITING);

function others(channel, members) {
  return members.filter((member) => channel.userId === null || String(member.user_id) !== String(channel.userId));
}

/** "Maria", "Maria and Sam", "Maria, Sam and Ada". */
function names(members) {
  const all = members.map(nameOf);
  return all.length < 2 ? all.join("") : `${all.slice(0, -1).join(", ")} and ${all[all.length - 1]}`;
}

// --- change form -----------------------------------------------------------------------
/** Join the record as "viewing", "editing" from the first change to a field; show the others. */
export function presenceOnChangeform(element, channel) {
  const form = document.getElementById(element.dataset.formId);
  const box = element.querySelector(".realtime-presence");
  if (!form || !box) return null;
  const what = element.dataset.verboseName || "record";
  let editors = []; // others editing the record now
  let warnedAbout = null; // the editors the Save warning named: a second click saves anyway
  let warning = null;

  const handle = presence(channel, recordIdOf(element.dataset.objectId), {
    state: PresenceState.VIEWING,
    onChange(members) {
      const here = others(channel, members);
      editors = editing(here);
      showMembers(box, here);
      if (warning && !editors.length) dropWarning();
      else if (warning) warning.querySelector("li").textContent = warningText(editors, what);
    },
  });

  const startEditing = (event) => {
    if (event.target instanceof HTMLElement && event.target.matches("[type=submit], [type=button]")) return;
    handle.update(PresenceState.EDITING);
  };
  form.addEventListener("input", startEditing);
  form.addEventListener("change", startEditing);
  // The admin's autocomplete (select2) announces a choice with jQuery events only (and its
  // jQuery "change" fires at start-up too): its own choice events are the user's.
  window.django?.jQuery?.(form).on("select2:select select2:unselect select2:clear", startEditing);

  const editorsKey = () => editors.map((member) => String(member.user_id)).sort().join(",");
  // Capturing on the document: before the admin's own submit handlers, and before the live
  // change form notes that the next update is its own save.
  document.addEventListener(
    "submit",
    (event) => {
      if (event.target !== form || !editors.length || warnedAbout === editorsKey()) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      showWarning(event.submitter);
      warnedAbout = editorsKey();
    },
    true,
  );

  function showWarning(button) {
    dropWarning();
    warning = document.createElement("ul");
    warning.className = "messagelist realtime-presence-warning";
    warning.setAttribute("role", "alert");
    const item = document.createElement("li");
    item.className = "warning";
    item.textContent = warningText(editors, what);
    warning.append(item);
    const row = button?.closest(".submit-row") || form.querySelector(".submit-row");
    if (row) row.before(warning);
    else form.prepend(warning);
    warning.scrollIntoView({ block: "nearest" });
  }

  function dropWarning() {
    warning?.remove();
    warning = null;
    warnedAbout = null;
  }

  element.realtimePresence = handle;
  return handle;
}

function warningText(editors, what) {
  const who = names(editors);
  const verb = editors.length === 1 ? "is" : "are";
  return `${who} ${verb} editing this ${what} right now: saving may overwrite their changes, or theirs yours. Save again to save anyway.`;
}

/** "Also here: Maria (editing), Sam (viewing)", or nothing when nobody else is. */
function showMembers(box, members) {
  const items = members.map((member) => {
    const item = document.createElement("span");
    item.className = "realtime-member";
    item.dataset.userId = String(member.user_id);
    item.dataset.state = member.state;
    item.textContent = `${nameOf(member)} (${member.state})`;
    return item;
  });
  const label = document.createElement("span");
  label.className = "realtime-presence-label";
  label.textContent = "Also here: ";
  const parts = [label];
  items.forEach((item, index) => parts.push(...(index ? [", ", item] : [item])));
  box.replaceChildren(...parts);
  box.hidden = members.length === 0;
  box.dataset.editing = String(editing(members).length > 0);
}

// --- changelist ------------------------------------------------------------------------
/** Watch the rows' records; a row someone else has open gets data-presence ("viewing" or
 * "editing") and a mark with their names. Call refresh() after the rows were replaced. */
export function presenceOnChangelist(element, channel, rowKey) {
  const rowsById = () => {
    const rows = new Map();
    document.querySelectorAll("#result_list tbody tr").forEach((row) => {
      const key = rowKey(row);
      if (key !== null && rows.size < PRESENCE_LIMITS.watched) rows.set(key, row);
    });
    return rows;
  };

  const mark = (row, members) => {
    const here = others(channel, members);
    const cell = row.querySelector("th") || row.querySelector("td:not(.action-checkbox)");
    if (!here.length) {
      row.classList.remove("realtime-open");
      delete row.dataset.presence;
      row.removeAttribute("title");
      if (cell) delete cell.dataset.presenceLabel;
      return;
    }
    const editors = editing(here);
    row.classList.add("realtime-open");
    row.dataset.presence = editors.length ? PresenceState.EDITING : PresenceState.VIEWING;
    row.title = here.map((member) => `${nameOf(member)} (${member.state})`).join(", ");
    // Shown by CSS (::after), so that the row's text, which the live changelist compares, is the admin's.
    if (cell) cell.dataset.presenceLabel = editors.length ? `${names(editors)} editing` : `${names(here)} viewing`;
  };

  let rows = rowsById();
  const watch = watchPresence(channel, [...rows.keys()].map(recordIdOf), (recordId, members) => {
    const row = rows.get(String(recordId));
    if (row) mark(row, members);
  });

  const refresh = () => {
    rows = rowsById();
    for (const [key, row] of rows) mark(row, watch.members(key));
    watch.update([...rows.keys()].map(recordIdOf));
  };
  element.realtimePresence = watch;
  return { watch, refresh };
}
