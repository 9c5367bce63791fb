/**
 * A small chat helper over a RealtimeChannel whose events carry conversations (docs/client.md,
 * "Chat"): load the history, send, say you are typing, mark read, and hear what others do.
 * Generic: the project passes its URLs and field names; it draws nothing (bodies are the
 * page's to show, with textContent).
 *
 *   const chat = new RealtimeChat(channel, {
 *     recordId: 12, recordKey: "order_id",
 *     messagesUrl: "/api/orders/12/messages/", readUrl: "/api/orders/12/messages/read/",
 *     headers: () => ({ Authorization: `Bearer ${token}` }),
 *     onEvent: (action, data) => ..., onTyping: (typers) => ..., onRead: (data) => ...,
 *   });
 *   channel.options.onMessage = (message) => chat.handle(message);
 */

const TYPING_EVERY_MS = 3000; // a client says "typing" at most this often
const TYPING_SHOWN_MS = 6000; // and shows another's typing this long unless renewed

export class RealtimeChat {
  /**
   * @param {import("./realtime.js").RealtimeChannel} channel  a channel of the conversations' events
   * @param {object} options
   * @param {string|number} options.recordId  the conversation
   * @param {string} options.recordKey  the data and typing field naming it ("order_id")
   * @param {string} options.messagesUrl  GET a page (?before=, ?limit=); POST {body}
   * @param {string} [options.readUrl]  POST {up_to}
   * @param {string} [options.authorKey="author_id"]  the event data's author field
   * @param {string} [options.typingType="typing"]  the relayed client message's type
   * @param {function(): object|Promise<object>} [options.headers]  extra request headers
   * @param {function(string, object)} [options.onEvent]  (action, data) of each event of this conversation
   * @param {function(Map<string, string>)} [options.onTyping]  user id → name of those typing now
   * @param {function(object)} [options.onRead]  the data of a read marker that moved
   */
  constructor(channel, options) {
    this.channel = channel;
    this.options = { authorKey: "author_id", typingType: "typing", ...options };
    this.typers = new Map(); // user id → { name, timer }
    this._typedAt = 0;
  }

  /** Feed every message of the channel here (from its onMessage). */
  handle(message) {
    const o = this.options;
    const mine = (value) => String(value) === String(o.recordId);
    if (message.type === o.typingType && mine(message[o.recordKey])) {
      this._typing(String(message.user_id), String(message.name ?? ""));
    } else if (message.type === "realtime_update" && message.data && mine(message.data[o.recordKey])) {
      if (message.action === "read") {
        o.onRead?.(message.data);
      } else {
        if (message.action === "created") this._stopped(String(message.data[o.authorKey]));
        o.onEvent?.(message.action, message.data);
      }
    }
  }

  /** A page of the history: { results (oldest first), next (the older page's URL or null) }. */
  async history({ before, limit, url } = {}) {
    let target = url;
    if (!target) {
      const query = new URLSearchParams();
      if (before !== undefined) query.set("before", String(before));
      if (limit !== undefined) query.set("limit", String(limit));
      const search = query.toString();
      target = `${this.options.messagesUrl}${search ? `?${search}` : ""}`;
    }
    return this._request("GET", target);
  }

  /** Send a message; resolves to the stored message, or rejects with the server's errors. */
  send(body) {
    this._typedAt = 0;
    return this._request("POST", this.options.messagesUrl, { body });
  }

  /** Call on every keystroke: the server hears it at most every 3 seconds. */
  typing() {
    const now = Date.now();
    if (now - this._typedAt < TYPING_EVERY_MS) return false;
    this._typedAt = now;
    return this.channel.send({ type: this.options.typingType, [this.options.recordKey]: this.options.recordId });
  }

  /** Move the read marker to message ``upTo`` (never back: the server keeps the newest). */
  markRead(upTo) {
    return this._request("POST", this.options.readUrl, { up_to: upTo });
  }

  _typing(userId, name) {
    const known = this.typers.get(userId);
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => this._stopped(userId), TYPING_SHOWN_MS);
    this.typers.set(userId, { name, timer });
    this._tellTypers();
  }

  _stopped(userId) {
    const known = this.typers.get(userId);
    if (!known) return;
    clearTimeout(known.timer);
    this.typers.delete(userId);
    this._tellTypers();
  }

  _tellTypers() {
    this.options.onTyping?.(new Map([...this.typers].map(([id, { name }]) => [id, name])));
  }

  async _request(method, url, body) {
    const headers = { Accept: "application/json", ...((await this.options.headers?.()) || {}) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }
}
