/**
 * realtime.js: a dependency-free browser client for the WebSocket channels of
 * docs/protocol.md. An ES module; no build step (types: realtime.d.ts):
 *
 *   import { RealtimeChannel } from "/static/realtime/realtime.js";
 *   const orders = new RealtimeChannel("orders", {
 *     token: () => localStorage.getItem("access"),   // fetched before each connect and traded for a
 *                                                    // one-time ticket; a string is sent as ?token=
 *     onUpdate: (message) => console.log(message.action, message.data),
 *     onNotification: (message) => console.log(message.notification_type, message.data),
 *     onStateChange: (state, detail) => console.log(state, detail),
 *     onResync: () => reloadEverythingOverRest(),
 *   });
 *   orders.close();
 *
 * It reconnects after unintentional disconnects only, resuming after the last event it
 * received, ignores duplicates, pings to find dead connections, and reports its state:
 * connecting, open, reconnecting, closed or failed. See docs/client.md.
 *
 * Presence (who else has a record open, and who is editing it) is in its own section at the
 * end: presence(channel, recordId, {state, onChange}) and watchPresence(channel, ids, onChange).
 */

export const State = Object.freeze({
  CONNECTING: "connecting",
  OPEN: "open",
  RECONNECTING: "reconnecting",
  CLOSED: "closed",
  FAILED: "failed",
});

/** Close codes after which reconnecting cannot help: the server said no. */
// 4429 is 1008 as a server without the speed-ups sends it (docs/protocol.md, "Close codes").
export const FINAL_CLOSE_CODES = Object.freeze(new Set([4401, 4403, 4404, 1008, 4429]));

export const DEFAULTS = Object.freeze({
  maxAttempts: 5, // reconnect attempts after a disconnect before the state becomes "failed"
  reconnectDelay: 1000, // ms before the first attempt; doubles for each next one (1, 2, 4, 8, 16 s)
  maxReconnectDelay: 30000,
  jitter: 0.25, // each delay is spread by up to ±25% so that clients do not return in step
  heartbeatInterval: 20000, // ms between pings while open
  heartbeatTimeout: 10000, // ms without any message after a ping before the connection counts as dead
  connectTimeout: 10000, // ms a handshake may take before the attempt counts as failed
});

const noop = () => {};

export class RealtimeChannel {
  /**
   * @param {string} channel  one of the project's channels (its publications table), e.g. "users"
   * @param {object} [options]
   * @param {string|function():(string|null|Promise<string|null>)} [options.token]
   *        a JWT access token (sent as ?token=), or a function called before every (re)connect
   *        that returns a fresh one, traded for a one-time ?ticket= (the token stays out of
   *        logged URLs); without it the browser's session cookie authenticates.
   * @param {string} [options.url]  the server's base URL ("wss://example.com"); default: this page's host.
   * @param {number} [options.lastEventId]  resume after this event id on the first connect.
   * @param {boolean} [options.autoConnect=true]
   * @param {function(object)} [options.onUpdate]  each realtime_update message
   * @param {function(object)} [options.onNotification]  each notification message, once per
   *        notification_id (stored ones come again on every new socket until acknowledged:
   *        the client acknowledges each one after this callback returns)
   * @param {function(string, object)} [options.onStateChange]  (state, detail)
   * @param {function(object)} [options.onResync]  the server cannot replay what was missed: reload over REST
   * @param {function(object)} [options.onOpen]  the connection_established message
   * @param {function(object)} [options.onError]  error messages from the server
   * @param {function(object)} [options.onMessage]  every message, after the specific callbacks
   */
  constructor(channel, options = {}) {
    if (!channel || typeof channel !== "string") throw new TypeError("RealtimeChannel needs a channel name");
    this.channel = channel;
    this.options = { ...DEFAULTS, ...options };
    this.lastEventId = Number.isInteger(options.lastEventId) ? options.lastEventId : null;
    this.state = State.CLOSED;
    this.attempts = 0; // failed attempts since the connection was last open
    this.userId = null;
    this._subscribed = null; // ids of a subscribe, re-sent after each reconnect
    this._notified = new Set(); // "<notification_id>@<timestamp>" already handed to onNotification
    this._unacked = new Set(); // ... and not yet acknowledged to the server
    this._socket = null;
    this._timers = { reconnect: null, ping: null, pong: null, connect: null, ack: null };
    this._generation = 0; // sockets of older generations are ignored
    this._closedByPage = false;
    this._presence = null; // the presence of this socket's topics (see the presence section below)
    this._onOnline = () => this._retryIfFailed("online");
    this._onVisible = () => {
      if (document.visibilityState === "visible") this._retryIfFailed("visible");
    };
    if (typeof window !== "undefined") {
      window.addEventListener("online", this._onOnline);
      document.addEventListener("visibilitychange", this._onVisible);
    }
    if (this.options.autoConnect !== false) this._connect();
  }

  /** Close for good: no reconnect until reconnect() is called. */
  close() {
    this._closedByPage = true;
    this._dropSocket(1000, "closed by the page");
    this._setState(State.CLOSED, { byPage: true });
  }

  /** Connect again now, whatever the state (after close(), a refusal, or "failed"). */
  reconnect() {
    this._closedByPage = false;
    this.attempts = 0;
    this._dropSocket(1000, "reconnecting");
    this._setState(State.CONNECTING, { retry: "page" });
    this._connect();
  }

  /** Stop listening to browser events too; the channel cannot be used afterwards. */
  destroy() {
    this.close();
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this._onOnline);
      document.removeEventListener("visibilitychange", this._onVisible);
    }
  }

  /** Narrow the channel to some records (sent again after every reconnect). */
  subscribe(ids) {
    this._subscribed = new Set([...(this._subscribed || []), ...ids]);
    return this.send({ type: "subscribe", ids: [...ids] });
  }

  /** Stop following some records; with no ids left (or none given) the whole channel again. */
  unsubscribe(ids = []) {
    if (this._subscribed) {
      if (ids.length) ids.forEach((id) => this._subscribed.delete(id));
      else this._subscribed.clear();
      if (this._subscribed.size === 0) this._subscribed = null;
    }
    return this.send({ type: "unsubscribe", ids: [...ids] });
  }

  /** Send a JSON message; false when the socket is not open. */
  send(message) {
    if (!this._socket || this._socket.readyState !== WebSocket.OPEN) return false;
    this._socket.send(JSON.stringify(message));
    return true;
  }

  // --- connecting -----------------------------------------------------------------------
  async _connect() {
    clearTimeout(this._timers.reconnect);
    this._timers.reconnect = null;
    const generation = ++this._generation;
    this._established = false;
    // A reconnect attempt keeps reporting "reconnecting" (announced with its delay by _lost).
    if (this.state !== State.RECONNECTING) this._setState(State.CONNECTING, {});
    let url;
    try {
      url = await this._url();
    } catch (error) {
      if (generation !== this._generation) return;
      if (error instanceof TicketRefused) {
        // The server refused the token: as final as a socket closed with 4401.
        const refusal = { type: "error", code: "unauthenticated", message: error.message };
        this._lost({ code: 4401, reason: error.message, error: refusal });
      } else {
        this._lost({ code: 0, reason: `no token: ${error}` });
      }
      return;
    }
    if (generation !== this._generation || this._closedByPage) return;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      this._lost({ code: 0, reason: String(error) });
      return;
    }
    this._socket = socket;
    this._timers.connect = setTimeout(() => {
      if (generation === this._generation) this._abandon("connect timeout");
    }, this.options.connectTimeout);
    let refusal = null; // the error message a refused connection receives before its close
    socket.onmessage = (event) => {
      if (generation !== this._generation) return;
      const message = parse(event.data);
      if (message === null) return;
      if (message.type === "error" && !this._established) refusal = message;
      this._receive(message);
    };
    socket.onclose = (event) => {
      if (generation !== this._generation) return;
      this._lost({ code: event.code, reason: event.reason, error: refusal });
    };
    socket.onerror = noop; // a close event always follows
  }

  async _url() {
    const base = (this.options.url || defaultBaseUrl()).replace(/\/+$/, "");
    const params = new URLSearchParams();
    if (typeof this.options.token === "function") {
      // A one-time ticket, fetched with the token before each connect, keeps the token itself
      // out of the socket's URL, which proxies and servers write to their access logs.
      const token = await this.options.token();
      if (token) params.set("ticket", await fetchTicket(base, token));
    } else if (this.options.token) {
      params.set("token", this.options.token);
    }
    if (this.lastEventId !== null) params.set("last_event_id", String(this.lastEventId));
    const query = params.toString();
    return `${base}/ws/${encodeURIComponent(this.channel)}/${query ? `?${query}` : ""}`;
  }

  // --- receiving ------------------------------------------------------------------------
  _receive(message) {
    clearTimeout(this._timers.pong); // any message proves the connection alive
    this._timers.pong = null;
    const o = this.options;
    if (message.type === "notification" && Number.isInteger(message.notification_id)) {
      // Stored notifications come first on every new socket with their own, older event ids,
      // until acknowledged: they are deduplicated by notification_id, never by event_id.
      if (Number.isInteger(message.event_id) && message.event_id > (this.lastEventId ?? -1)) {
        this.lastEventId = message.event_id;
      }
      this._notify(message);
      return;
    }
    if (Number.isInteger(message.event_id)) {
      if (this.lastEventId !== null && message.event_id <= this.lastEventId) return; // a duplicate
      this.lastEventId = message.event_id;
    }
    switch (message.type) {
      case "connection_established":
        this._established = true;
        clearTimeout(this._timers.connect);
        this.userId = message.user_id;
        // Nothing received yet: resume from where the server stood when we joined.
        if (this.lastEventId === null && Number.isInteger(message.last_event_id)) this.lastEventId = message.last_event_id;
        this.attempts = 0;
        this._startHeartbeat();
        if (this._subscribed) this.send({ type: "subscribe", ids: [...this._subscribed] });
        this._presence?.rejoin(); // presence is not replayed: join again, and get fresh states
        this._setState(State.OPEN, { lastEventId: this.lastEventId, userId: this.userId });
        call(o.onOpen, message);
        break;
      case "realtime_update":
        call(o.onUpdate, message);
        break;
      case "resync_required":
        if (Number.isInteger(message.last_event_id)) this.lastEventId = message.last_event_id;
        call(o.onResync, message);
        break;
      case "presence_state":
      case "presence_diff":
        this._presence?.receive(message);
        break;
      case "error":
        this._presence?.refused(message);
        call(o.onError, message);
        break;
      default:
        break; // pong, subscriptions, and types added later
    }
    call(o.onMessage, message);
  }

  _notify(message) {
    const id = message.notification_id;
    // A notification updated in place (a conversation's newest message) comes again under its id
    // with a newer timestamp: that one is handed over too.
    const version = `${id}@${message.timestamp}`;
    if (!this._notified.has(version)) {
      this._notified.add(version);
      if (this._notified.size > 1000) this._notified.delete(this._notified.values().next().value);
      call(this.options.onNotification, message);
      call(this.options.onMessage, message);
    }
    // Acknowledged together, in one message a moment later (a backlog of 100 would otherwise
    // spend the socket's message budget): the server sends them to no new socket after this.
    this._unacked.add(id);
    if (this._timers.ack === null) {
      this._timers.ack = setTimeout(() => {
        this._timers.ack = null;
        const ids = [...this._unacked].slice(0, 1000);
        if (ids.length && this.send({ type: "ack", ids })) ids.forEach((each) => this._unacked.delete(each));
      }, 50);
    }
  }

  // --- heartbeat ------------------------------------------------------------------------
  _startHeartbeat() {
    this._stopHeartbeat();
    this._timers.ping = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      if (this._timers.pong === null) {
        this._timers.pong = setTimeout(() => this._abandon("no answer to ping"), this.options.heartbeatTimeout);
      }
    }, this.options.heartbeatInterval);
  }

  _stopHeartbeat() {
    clearInterval(this._timers.ping);
    clearTimeout(this._timers.pong);
    this._timers.ping = this._timers.pong = null;
  }

  /** Give up on a socket that does not answer: a dead connection may take minutes to
   * report its close, so stop listening to it and treat it as lost now. */
  _abandon(reason) {
    this._dropSocket(4000, reason);
    this._lost({ code: 1006, reason });
  }

  // --- losing the connection ------------------------------------------------------------
  _lost({ code, reason, error = null }) {
    this._dropSocket();
    if (this._closedByPage) return;
    const detail = { code, reason, error };
    if (FINAL_CLOSE_CODES.has(code)) {
      this._setState(State.CLOSED, detail); // the server refused us: retrying cannot help
      return;
    }
    if (this.attempts >= this.options.maxAttempts) {
      this._setState(State.FAILED, { ...detail, attempts: this.attempts });
      return;
    }
    this.attempts += 1;
    const delay = this._delay(this.attempts);
    this._setState(State.RECONNECTING, { ...detail, attempt: this.attempts, delay });
    this._timers.reconnect = setTimeout(() => this._connect(), delay);
  }

  _delay(attempt) {
    const o = this.options;
    const nominal = Math.min(o.reconnectDelay * 2 ** (attempt - 1), o.maxReconnectDelay);
    return Math.max(0, Math.round(nominal * (1 + o.jitter * (2 * Math.random() - 1))));
  }

  _retryIfFailed(why) {
    if (this.state !== State.FAILED || this._closedByPage) return;
    this.attempts = 0;
    this._setState(State.CONNECTING, { retry: why });
    this._connect();
  }

  _dropSocket(code, reason) {
    this._generation += 1; // whatever the old socket still says is ignored
    this._stopHeartbeat();
    clearTimeout(this._timers.connect);
    clearTimeout(this._timers.reconnect);
    this._timers.connect = this._timers.reconnect = null;
    const socket = this._socket;
    this._socket = null;
    if (socket && code !== undefined && socket.readyState <= WebSocket.OPEN) {
      try {
        socket.close(code, reason);
      } catch (_) {
        socket.close();
      }
    }
  }

  _setState(state, detail = {}) {
    const changed = state !== this.state;
    this.state = state;
    // "reconnecting" is reported for every attempt, so that pages can show the countdown.
    if (changed || state === State.RECONNECTING) call(this.options.onStateChange, state, detail);
  }
}

/** The token was refused when asked for a ticket (401 or 403). */
class TicketRefused extends Error {}

/** A one-time socket ticket (docs/protocol.md): POST /api/realtime/ticket/ with the token. */
async function fetchTicket(base, token) {
  const response = await fetch(`${base.replace(/^ws/, "http")}/api/realtime/ticket/`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    credentials: "omit", // the token authenticates, not a cookie
  });
  if (response.status === 401 || response.status === 403) {
    const body = await response.json().catch(() => ({}));
    throw new TicketRefused(body.detail || body.message || `the token was refused (${response.status})`);
  }
  if (!response.ok) throw new Error(`the ticket request answered ${response.status}`);
  return (await response.json()).ticket;
}

function defaultBaseUrl() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}`;
}

function parse(text) {
  if (typeof text !== "string") return null;
  try {
    const message = JSON.parse(text);
    return message && typeof message === "object" && typeof message.type === "string" ? message : null;
  } catch (_) {
    return null;
  }
}

function call(callback, ...args) {
  if (typeof callback !== "function") return;
  try {
    callback(...args);
  } catch (error) {
    // A page's callback must not break the connection.
    console.error("realtime.js: callback failed", error);
  }
}

// --- Web Push ------------------------------------------------------------------------------
// enablePush() asks for permission, registers the service worker (sw.js), subscribes with the
// server's VAPID key and registers the subscription with the API; disablePush() undoes it.
// Pushes come while no socket of the user is open (docs/client.md, "Web Push").

export const PUSH_DEFAULTS = Object.freeze({ serviceWorkerUrl: "/realtime/sw.js", scope: "/", apiBase: "" });

export class PushUnavailable extends Error {}

/** Subscribe this browser to pushes for the signed-in user; resolves to {id, endpoint}. */
export async function enablePush(options = {}) {
  const { serviceWorkerUrl, scope, apiBase, token } = { ...PUSH_DEFAULTS, ...options };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    throw new PushUnavailable("this browser has no Web Push");
  }
  if ((await Notification.requestPermission()) !== "granted") throw new PushUnavailable("notifications were not allowed");
  const { public_key: publicKey } = await pushApi(apiBase, "GET", "/api/push/key/", token);
  const registration = await navigator.serviceWorker.register(serviceWorkerUrl, { scope, type: "classic" });
  await navigator.serviceWorker.ready;
  const applicationServerKey = base64UrlToBytes(publicKey);
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameBytes(subscription.options.applicationServerKey, applicationServerKey)) {
    await subscription.unsubscribe(); // made with another key: the server could not push to it
    subscription = null;
  }
  subscription ||= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  const saved = await pushApi(apiBase, "POST", "/api/push/subscriptions/", token, subscription.toJSON());
  return { id: saved.id, endpoint: saved.endpoint };
}

/** Stop pushes to this browser: the subscription leaves the API and the push service. */
export async function disablePush(options = {}) {
  const { scope, apiBase, token } = { ...PUSH_DEFAULTS, ...options };
  const registration = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration(scope) : undefined;
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  if (!subscription) return false;
  const mine = await pushApi(apiBase, "GET", "/api/push/subscriptions/", token);
  for (const saved of mine.filter((item) => item.endpoint === subscription.endpoint)) {
    await pushApi(apiBase, "DELETE", `/api/push/subscriptions/${saved.id}/`, token);
  }
  await subscription.unsubscribe();
  return true;
}

/** Call back with what the service worker posts: {type: "push_received" | "push_click", ...}. */
export function onPushMessage(callback) {
  if (!("serviceWorker" in navigator)) return noop;
  const listener = (event) => {
    const message = event.data;
    if (message && (message.type === "push_received" || message.type === "push_click")) call(callback, message);
  };
  navigator.serviceWorker.addEventListener("message", listener);
  return () => navigator.serviceWorker.removeEventListener("message", listener);
}

async function pushApi(apiBase, method, path, token, body) {
  const headers = { Accept: "application/json" };
  const value = typeof token === "function" ? await token() : token;
  if (value) headers.Authorization = `Bearer ${value}`;
  else if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken"); // the session signs in
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${apiBase}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: value ? "omit" : "same-origin",
  });
  if (response.status === 204) return null;
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const why = answer.detail || Object.entries(answer).map(([field, errors]) => `${field}: ${errors}`).join("; ");
    throw new PushUnavailable(why || `${method} ${path} answered ${response.status}`);
  }
  return answer;
}

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

function base64UrlToBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function sameBytes(buffer, bytes) {
  if (!buffer) return false;
  const view = new Uint8Array(buffer);
  return view.length === bytes.length && view.every((byte, index) => byte === bytes[index]);
}

// --- chat ------------------------------------------------------------------------------
export { RealtimeChat } from "./chat.js";

// =========================================================================================
// Presence (docs/client.md, "Presence"; the messages in docs/protocol.md): who has a record
// open on a channel, and who is editing it. A member is a user, not a socket: two tabs of one
// person are one member. Presence is not in the event log, so after every reconnect the client
// joins (and watches) again by itself, and the fresh presence_state replaces what it knew.
// =========================================================================================

export const PresenceState = Object.freeze({ VIEWING: "viewing", EDITING: "editing" });

/** The server's limits (docs/protocol.md): topics one socket may join, records it may watch. */
export const PRESENCE_LIMITS = Object.freeze({ joined: 50, watched: 100 });

const PRESENCE_STATES = new Set(Object.values(PresenceState));

function checkRecordId(recordId) {
  if (Number.isInteger(recordId) || (typeof recordId === "string" && recordId !== "")) return String(recordId);
  throw new TypeError(`a record id is an integer or a non-empty string, not ${JSON.stringify(recordId)}`);
}

function checkPresenceState(state) {
  if (!PRESENCE_STATES.has(state)) throw new TypeError(`a presence state is "viewing" or "editing", not ${JSON.stringify(state)}`);
  return state;
}

/** The members of one topic: replaced by each presence_state, changed by each presence_diff. */
class Roster {
  constructor() {
    this.members = new Map(); // user_id → member, in the order they came
    this.count = 0; // all of them: a presence_state lists at most 100, and says "count"
  }

  replace(message) {
    this.members = new Map((message.members || []).map((member) => [String(member.user_id), member]));
    this.count = Number.isInteger(message.count) ? message.count : this.members.size;
  }

  apply(message) {
    const unlisted = this.count > this.members.size; // some members were beyond the list
    for (const userId of message.leaves || []) {
      if (this.members.delete(String(userId)) || unlisted) this.count -= 1;
    }
    for (const member of message.joins || []) {
      const userId = String(member.user_id);
      if (!this.members.has(userId)) this.count += 1;
      this.members.set(userId, member); // a state change keeps the member's place
    }
    if (Number.isInteger(message.count)) this.count = message.count;
    this.count = Math.max(this.count, this.members.size);
  }

  clear() {
    const had = this.members.size > 0 || this.count > 0;
    this.members = new Map();
    this.count = 0;
    return had;
  }

  list() {
    return [...this.members.values()];
  }
}

/** What one socket takes part in: the records it joined, and the records it watches. */
class ChannelPresence {
  static of(channel) {
    if (!(channel instanceof RealtimeChannel)) throw new TypeError("presence needs a RealtimeChannel");
    channel._presence ??= new ChannelPresence(channel);
    return channel._presence;
  }

  constructor(channel) {
    this.channel = channel;
    this.joined = new Map(); // String(record id) → PresenceHandle
    this.watch = null; // the one PresenceWatch of this socket, if any
  }

  /** Send now if the connection is open; otherwise the next connection_established sends it all. */
  send(message) {
    return this.channel.state === State.OPEN && this.channel.send(message);
  }

  rejoin() {
    for (const handle of this.joined.values()) this.channel.send(handle._joinMessage());
    this.watch?._rewatch();
  }

  receive(message) {
    if (message.record_id === undefined || message.record_id === null) return;
    const key = String(message.record_id);
    this.joined.get(key)?._receive(message);
    this.watch?._receive(key, message);
  }

  /** A refused join (forbidden, or beyond the limits) names its record: tell that handle. */
  refused(message) {
    if (message.record_id === undefined || message.record_id === null) return;
    this.joined.get(String(message.record_id))?._refused(message);
  }
}

class PresenceHandle {
  constructor(hub, recordId, { state = PresenceState.VIEWING, onChange, onError } = {}) {
    this._hub = hub;
    this._key = checkRecordId(recordId);
    this.recordId = recordId;
    this.state = checkPresenceState(state);
    this.left = false;
    this._roster = new Roster();
    this._onChange = onChange;
    this._onError = onError;
  }

  /** Everyone on the record, this user included (one member however many tabs they have open). */
  get members() {
    return this._roster.list();
  }

  /** How many members there are, also those beyond the 100 a presence_state lists. */
  get count() {
    return this._roster.count;
  }

  /** The members except the user of this socket. */
  get others() {
    const me = this._hub.channel.userId;
    return this.members.filter((member) => me === null || String(member.user_id) !== String(me));
  }

  /** Change this user's state on the record ("viewing" or "editing"). */
  update(state) {
    checkPresenceState(state);
    if (this.left || state === this.state) return;
    this.state = state;
    this._hub.send({ type: "presence_update", record_id: this.recordId, state });
  }

  /** Leave the record; the handle cannot be used afterwards. */
  leave() {
    if (this.left) return;
    this.left = true;
    this._hub.joined.delete(this._key);
    this._hub.send({ type: "presence_leave", record_id: this.recordId });
  }

  _joinMessage() {
    return { type: "presence_join", record_id: this.recordId, state: this.state };
  }

  _receive(message) {
    if (message.type === "presence_state") this._roster.replace(message);
    else this._roster.apply(message);
    call(this._onChange, this.members, { count: this.count, others: this.others, message });
  }

  _refused(message) {
    call(this._onError, message);
  }
}

class PresenceWatch {
  constructor(hub, recordIds, onChange) {
    this._hub = hub;
    this._onChange = onChange;
    this._ids = []; // as given, sent as they are
    this._rosters = new Map(); // String(record id) → Roster
    this._sent = false; // whether the server has the current set
    this.stopped = false;
    this.update(recordIds);
  }

  /** The members of one watched record (an empty list when nobody has it open). */
  members(recordId) {
    return this._rosters.get(String(recordId))?.list() || [];
  }

  /** Watch these records instead (at most 100); [] watches none. */
  update(recordIds) {
    if (this.stopped) return;
    if (!Array.isArray(recordIds)) throw new TypeError("watchPresence needs a list of record ids");
    const keys = recordIds.map(checkRecordId);
    if (keys.length > PRESENCE_LIMITS.watched) {
      throw new RangeError(`at most ${PRESENCE_LIMITS.watched} records may be watched on one socket, not ${keys.length}`);
    }
    const kept = new Set(keys);
    for (const [key, roster] of this._rosters) {
      if (!kept.has(key)) {
        this._rosters.delete(key);
        if (roster.clear()) this._changed(key, roster);
      }
    }
    for (const key of keys) if (!this._rosters.has(key)) this._rosters.set(key, new Roster());
    const same = this._sent && keys.join("\u0000") === this._ids.map(String).join("\u0000");
    this._ids = [...recordIds];
    if (!same) this._sent = this._hub.send(this._watchMessage()); // a refreshed list of the same rows costs nothing
  }

  /** Watch nothing any more; the watch cannot be used afterwards. */
  stop() {
    if (this.stopped) return;
    this.update([]);
    this.stopped = true;
    if (this._hub.watch === this) this._hub.watch = null;
  }

  _watchMessage() {
    return { type: "presence_watch", record_ids: this._ids };
  }

  /** After a reconnect: forget every record's members (a record nobody has open any more gets
   * no presence_state), and watch again; the fresh presence_state frames fill them in. */
  _rewatch() {
    for (const [key, roster] of this._rosters) if (roster.clear()) this._changed(key, roster);
    this._sent = this._hub.channel.send(this._watchMessage());
  }

  _receive(key, message) {
    const roster = this._rosters.get(key);
    if (!roster) return;
    if (message.type === "presence_state") roster.replace(message);
    else roster.apply(message);
    this._changed(key, roster, message);
  }

  _changed(key, roster, message = null) {
    const recordId = this._ids.find((id) => String(id) === key) ?? key;
    call(this._onChange, recordId, roster.list(), { count: roster.count, message });
  }
}

/**
 * Join a record's presence on a channel: `channel` is a RealtimeChannel, `recordId` the
 * record's id (as its `<entity>_id` in events). `onChange(members, {count, others, message})`
 * is called with the current members (this user included) whenever they change. Returns a
 * handle: `update(state)`, `leave()`, `members`, `others`, `count`.
 */
export function presence(channel, recordId, options = {}) {
  const hub = ChannelPresence.of(channel);
  const key = checkRecordId(recordId);
  if (hub.joined.has(key)) throw new Error(`record ${key} is already joined on this channel: use its handle's update()`);
  if (hub.joined.size >= PRESENCE_LIMITS.joined) {
    throw new RangeError(`at most ${PRESENCE_LIMITS.joined} records may be joined on one socket`);
  }
  const handle = new PresenceHandle(hub, recordId, options);
  hub.joined.set(key, handle);
  hub.send(handle._joinMessage());
  return handle;
}

/**
 * Follow who has some records open without joining them (a list page): `onChange(recordId,
 * members, {count, message})` for each record whose members change. One watch per socket;
 * returns it: `update(recordIds)`, `stop()`, `members(recordId)`.
 */
export function watchPresence(channel, recordIds, onChange) {
  const hub = ChannelPresence.of(channel);
  if (hub.watch) throw new Error("this channel already watches records: use its watch's update()");
  hub.watch = new PresenceWatch(hub, recordIds, onChange);
  return hub.watch;
}
