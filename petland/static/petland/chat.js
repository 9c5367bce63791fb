/**
 * PetLand's conversation box (issue 16), for the admin's reservation page and the customer's
 * chat page: the history, new messages live, a reply box, who is typing and how far the other
 * side has read. Built on realtime.js's RealtimeChannel and RealtimeChat. Every body and name
 * is shown with textContent: a message is data, never markup.
 */

import { RealtimeChannel, RealtimeChat } from "../realtime/realtime.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A message from the REST API or from an event's data, in one shape. */
function normalised(m) {
  return {
    id: m.id ?? m.message_id,
    author: m.author ?? m.author_id,
    authorName: m.author_name,
    body: m.body,
    createdAt: m.created_at,
    editedAt: m.edited_at,
    deleted: m.deleted,
  };
}

/**
 * Mount a conversation in ``root``. ``options``: reservationId, me (the viewer's user id),
 * headers (a function giving request headers), token (for the socket; none: the session).
 */
export function mountConversation(root, { reservationId, me, headers, token }) {
  const base = `/api/reservations/${reservationId}/messages/`;
  const list = el("ol", "chat-messages");
  const older = el("button", "chat-older", "Older messages");
  older.type = "button";
  older.hidden = true;
  const typing = el("p", "chat-typing");
  typing.setAttribute("aria-live", "polite");
  const read = el("p", "chat-read");
  const form = el("form", "chat-form");
  const box = el("textarea");
  box.name = "body";
  box.maxLength = 2000;
  box.rows = 2;
  box.placeholder = "Write a message";
  const send = el("button", "chat-send", "Send");
  send.type = "submit";
  const problem = el("p", "chat-error");
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  form.append(box, send);
  root.replaceChildren(older, list, typing, read, form, problem);

  let newestOthers = 0;
  let olderUrl = null;

  function render(message) {
    const m = normalised(message);
    let item = list.querySelector(`li[data-message-id="${m.id}"]`);
    if (!item) {
      item = el("li");
      item.dataset.messageId = String(m.id);
      const later = [...list.children].find((child) => Number(child.dataset.messageId) > m.id);
      list.insertBefore(item, later || null);
    }
    item.classList.toggle("chat-mine", String(m.author) === String(me));
    item.classList.toggle("chat-deleted", Boolean(m.deleted));
    const meta = [new Date(m.createdAt).toLocaleTimeString()];
    if (m.editedAt && !m.deleted) meta.push("edited");
    item.replaceChildren(
      el("span", "chat-author", m.authorName),
      el("span", "chat-body", m.deleted ? "message deleted" : m.body),
      el("span", "chat-meta", meta.join(" · ")),
    );
    if (String(m.author) !== String(me)) newestOthers = Math.max(newestOthers, m.id);
  }

  async function markRead() {
    if (newestOthers && document.visibilityState === "visible") {
      await chat.markRead(newestOthers).catch(() => {});
    }
  }

  const channel = new RealtimeChannel("chat", {
    token,
    autoConnect: false,
    onOpen: () => channel.send({ type: "presence_join", record_id: reservationId }),
    onMessage: (message) => chat.handle(message),
  });
  const chat = new RealtimeChat(channel, {
    recordId: reservationId,
    recordKey: "reservation_id",
    messagesUrl: base,
    readUrl: `${base}read/`,
    headers,
    onEvent: (action, data) => {
      render(data);
      if (action === "created") markRead();
    },
    onTyping: (typers) => {
      const names = [...typers.values()];
      typing.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
    },
    onRead: (data) => {
      if (String(data.reader_id) === String(me)) return;
      const who = String(data.reader_id) === String(data.user_id) ? "The customer" : "Staff";
      read.textContent = `${who} read up to message #${data.up_to}`;
      read.dataset.upTo = String(data.up_to);
    },
  });

  async function loadPage(url) {
    const page = await chat.history(url ? { url } : {});
    page.results.forEach(render);
    olderUrl = page.next;
    older.hidden = !olderUrl;
  }

  older.addEventListener("click", () => loadPage(olderUrl));
  box.addEventListener("input", () => chat.typing());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      render(await chat.send(box.value));
      box.value = "";
    } catch (error) {
      const why = error.data && typeof error.data === "object" ? Object.values(error.data).flat().join(" ") : "";
      problem.textContent = error.status === 429 ? "Too many messages: wait a few seconds." : why || error.message;
      problem.hidden = false;
    }
  });
  document.addEventListener("visibilitychange", markRead);

  channel.subscribe([reservationId]);
  channel.reconnect(); // connect now that every callback is in place
  loadPage(null).then(markRead);
  return { channel, chat };
}

/** The CSRF header for session-authenticated writes (the admin). */
export function csrfHeaders() {
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? { "X-CSRFToken": decodeURIComponent(cookie.split("=")[1]) } : {};
}
