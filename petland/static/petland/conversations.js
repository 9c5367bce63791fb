/**
 * The admin's Conversations page: every conversation with its unread count, newest activity
 * first, fetched again (debounced) whenever a chat event arrives. Text with textContent only.
 */

import { RealtimeChannel } from "../realtime/realtime.js";

const root = document.querySelector("[data-conversations]");
const body = root.querySelector("#conversations tbody");
const unreadOnly = root.querySelector(".conversations-unread");
const status = root.querySelector(".realtime-status");
let timer = null;

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function refresh() {
  const query = unreadOnly.checked ? "?unread=true&page_size=100" : "?page_size=100";
  const response = await fetch(`/api/conversations/${query}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) return;
  const rows = (await response.json()).results;
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.reservation = String(row.reservation);
      tr.classList.toggle("conversations-has-unread", row.unread > 0);
      const link = document.createElement("a");
      link.href = root.dataset.changeUrl.replace("/0/", `/${row.reservation}/`);
      link.textContent = `Reservation #${row.reservation}`;
      const first = document.createElement("td");
      first.append(link);
      const last = row.last_message;
      tr.append(first, cell(last.deleted ? "message deleted" : last.body.slice(0, 100)), cell(last.author_name));
      tr.append(cell(new Date(last.created_at).toLocaleString()), cell(String(row.unread)));
      tr.lastElementChild.className = "conversations-unread-count";
      return tr;
    }),
  );
  root.querySelector(".conversations-empty").hidden = rows.length > 0;
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 150);
}

unreadOnly.addEventListener("change", refresh);
window.petlandConversations = new RealtimeChannel("chat", {
  onUpdate: soon,
  onOpen: soon,
  onStateChange: (state) => {
    status.dataset.state = state;
    status.textContent = state === "open" ? "live" : state;
  },
});
