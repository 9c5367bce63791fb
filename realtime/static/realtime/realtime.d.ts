// Types of realtime.js, the browser client of docs/protocol.md (see docs/client.md).

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed" | "failed";

export declare const State: Readonly<{
  CONNECTING: "connecting";
  OPEN: "open";
  RECONNECTING: "reconnecting";
  CLOSED: "closed";
  FAILED: "failed";
}>;

/** Close codes after which reconnecting cannot help: the server said no. */
export declare const FINAL_CLOSE_CODES: ReadonlySet<number>;

export interface Tuning {
  maxAttempts: number;
  reconnectDelay: number;
  maxReconnectDelay: number;
  jitter: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  connectTimeout: number;
}

export declare const DEFAULTS: Readonly<Tuning>;

export interface ConnectionEstablished {
  type: "connection_established";
  channel: string;
  user_id: string | null;
  last_event_id: number;
}

export interface RealtimeUpdate<Data = Record<string, unknown>> {
  type: "realtime_update";
  entity_type: string;
  action: "created" | "updated" | "deleted";
  data: Data;
  timestamp: string;
  event_id: number;
}

export interface NotificationMessage<Data = Record<string, unknown>> {
  type: "notification";
  notification_type: string;
  notification_id: number;
  user_id: string;
  data: Data;
  timestamp: string;
  event_id: number;
}

export interface ResyncRequired {
  type: "resync_required";
  last_event_id: number;
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
}

export type ServerMessage =
  | ConnectionEstablished
  | RealtimeUpdate
  | NotificationMessage
  | ResyncRequired
  | ErrorMessage
  | { type: "pong" }
  | { type: "subscriptions"; ids: Array<number | string> | null }
  | { type: "marked_read"; ids: number[] }
  | PresenceStateMessage
  | PresenceDiffMessage;

export interface StateDetail {
  code?: number;
  reason?: string;
  error?: unknown;
  attempts?: number;
  retry?: string;
  byPage?: boolean;
  lastEventId?: number | null;
  userId?: string | null;
}

export interface RealtimeChannelOptions extends Partial<Tuning> {
  /** A JWT access token (sent as ?token=), or a function called before every (re)connect whose
   * fresh token is traded for a one-time ?ticket=; without it the session cookie authenticates. */
  token?: string | (() => string | null | Promise<string | null>);
  /** The server's base URL ("wss://example.com"); default: this page's host. */
  url?: string;
  /** Resume after this event id on the first connect. */
  lastEventId?: number;
  autoConnect?: boolean;
  onUpdate?: (message: RealtimeUpdate) => void;
  /** Once per notification_id; the client acknowledges each one afterwards. */
  onNotification?: (message: NotificationMessage) => void;
  onStateChange?: (state: ConnectionState, detail: StateDetail) => void;
  /** The server cannot replay what was missed: reload the state over REST. */
  onResync?: (message: ResyncRequired) => void;
  onOpen?: (message: ConnectionEstablished) => void;
  onError?: (message: ErrorMessage) => void;
  onMessage?: (message: ServerMessage) => void;
}

export declare class RealtimeChannel {
  constructor(channel: string, options?: RealtimeChannelOptions);
  readonly channel: string;
  readonly state: ConnectionState;
  readonly lastEventId: number | null;
  readonly userId: string | null;
  readonly attempts: number;
  /** Close for good: no reconnect until reconnect() is called. */
  close(): void;
  /** Connect again now, whatever the state. */
  reconnect(): void;
  /** Stop listening to browser events too; the channel cannot be used afterwards. */
  destroy(): void;
  /** Narrow the channel to some records (sent again after every reconnect). */
  subscribe(ids: Array<number | string>): boolean;
  /** Remove ids; with none left (or none given) the whole channel again. */
  unsubscribe(ids?: Array<number | string>): boolean;
  /** Send a JSON message; false when the socket is not open. */
  send(message: { type: string; [key: string]: unknown }): boolean;
}

// --- Web Push (docs/client.md) --------------------------------------------------------------
export interface PushOptions {
  /** A JWT access token (or a function giving one); without, the session cookie signs in. */
  token?: string | (() => string | Promise<string>);
  /** Default "/realtime/sw.js" (served with Service-Worker-Allowed: /). */
  serviceWorkerUrl?: string;
  /** Default "/": the pages the service worker controls. */
  scope?: string;
  /** Where /api/push/ is; default "" (this origin). */
  apiBase?: string;
}
export declare const PUSH_DEFAULTS: Readonly<Required<Omit<PushOptions, "token">>>;
/** Thrown when the browser has no Web Push, permission was refused, or the API said no (its message says why). */
export declare class PushUnavailable extends Error {}
/** Ask permission, register sw.js, subscribe with the server's key, register with the API. */
export declare function enablePush(options?: PushOptions): Promise<{ id: number; endpoint: string }>;
/** Unregister this browser's subscription from the API and the push service; false if there was none. */
export declare function disablePush(options?: PushOptions): Promise<boolean>;
export interface PushMessage {
  type: "push_received" | "push_click";
  notification_id: number | null;
  notification_type: string | null;
  url: string;
  title?: string;
  body?: string;
}
/** Listen to what the service worker posts; returns a function that stops listening. */
export declare function onPushMessage(callback: (message: PushMessage) => void): () => void;

// --- chat (chat.js, re-exported by realtime.js) ------------------------------------------
/** A relayed typing message (protocol.md, "Typing"): the record field is the project's. */
export interface TypingMessage {
  type: string;
  user_id: string;
  name: string;
  [recordKey: string]: unknown;
}

export interface HistoryPage<M = Record<string, unknown>> {
  /** Oldest first. */
  results: M[];
  /** The older page's URL, or null at the start of the conversation. */
  next: string | null;
}

export interface RealtimeChatOptions {
  recordId: number | string;
  /** The data and typing field naming the conversation, e.g. "reservation_id". */
  recordKey: string;
  /** GET a page (?before=, ?limit=); POST {body}. */
  messagesUrl: string;
  /** POST {up_to}. */
  readUrl?: string;
  /** The event data's author field (default "author_id"). */
  authorKey?: string;
  /** The relayed client message's type (default "typing"). */
  typingType?: string;
  /** Extra request headers (Authorization, X-CSRFToken). */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Each event of this conversation but read markers: created, updated, deleted. */
  onEvent?: (action: string, data: Record<string, unknown>) => void;
  /** Who is typing now (user id → name); shown 6 s unless renewed, cleared by their message. */
  onTyping?: (typers: Map<string, string>) => void;
  /** A read marker that moved. */
  onRead?: (data: Record<string, unknown>) => void;
}

/** Rejected requests carry the HTTP status and the server's JSON errors. */
export interface ChatRequestError extends Error {
  status: number;
  data: unknown;
}

export declare class RealtimeChat {
  constructor(channel: RealtimeChannel, options: RealtimeChatOptions);
  readonly typers: Map<string, { name: string }>;
  /** Feed every message of the channel here (from its onMessage). */
  handle(message: ServerMessage | TypingMessage): void;
  history<M = Record<string, unknown>>(page?: { before?: number; limit?: number; url?: string }): Promise<HistoryPage<M>>;
  send<M = Record<string, unknown>>(body: string): Promise<M>;
  /** Call on every keystroke: sent at most every 3 seconds; false when not sent. */
  typing(): boolean;
  markRead(upTo: number): Promise<{ [key: string]: unknown; up_to: number }>;
}

// --- presence (docs/client.md, "Presence") ---------------------------------------------------

export type PresenceStateName = "viewing" | "editing";

export declare const PresenceState: Readonly<{ VIEWING: "viewing"; EDITING: "editing" }>;

/** The server's limits: records one socket may join, and records it may watch. */
export declare const PRESENCE_LIMITS: Readonly<{ joined: 50; watched: 100 }>;

export type RecordId = number | string;

/** A user on a record (one member however many tabs they have open: the stronger state wins). */
export interface PresenceMember {
  user_id: string;
  name: string;
  is_staff: boolean;
  state: PresenceStateName;
  /** ISO 8601: when the member arrived. */
  since: string;
}

export interface PresenceStateMessage {
  type: "presence_state";
  channel: string;
  record_id: RecordId;
  /** At most 100 members... */
  members: PresenceMember[];
  /** ...and how many there are in all. */
  count?: number;
}

export interface PresenceDiffMessage {
  type: "presence_diff";
  channel: string;
  record_id: RecordId;
  /** Members who arrived or whose state changed (a state change is not a leave). */
  joins: PresenceMember[];
  /** The user ids of members who are gone. */
  leaves: string[];
  count?: number;
}

export interface PresenceChange {
  count: number;
  /** The members except the user of the socket. */
  others: PresenceMember[];
  /** The presence_state or presence_diff that changed them. */
  message: PresenceStateMessage | PresenceDiffMessage;
}

export interface PresenceOptions {
  /** This user's state on the record; default "viewing". */
  state?: PresenceStateName;
  /** The current members (this user included), whenever they change. */
  onChange?: (members: PresenceMember[], change: PresenceChange) => void;
  /** An error frame that names this record (the join was refused). */
  onError?: (message: ErrorMessage & { record_id?: RecordId }) => void;
}

export interface PresenceHandle {
  readonly recordId: RecordId;
  readonly state: PresenceStateName;
  readonly left: boolean;
  readonly members: PresenceMember[];
  readonly others: PresenceMember[];
  readonly count: number;
  /** Change this user's state on the record. */
  update(state: PresenceStateName): void;
  /** Leave the record; the handle cannot be used afterwards. */
  leave(): void;
}

export interface PresenceWatch {
  readonly stopped: boolean;
  /** The members of one watched record (empty when nobody has it open). */
  members(recordId: RecordId): PresenceMember[];
  /** Watch these records instead (at most 100); [] watches none. */
  update(recordIds: RecordId[]): void;
  /** Watch nothing any more. */
  stop(): void;
}

/** Join a record's presence on an open (or opening) channel; joined again after every reconnect. */
export declare function presence(channel: RealtimeChannel, recordId: RecordId, options?: PresenceOptions): PresenceHandle;

/** Follow who has some records open, without joining them; one watch per channel. */
export declare function watchPresence(
  channel: RealtimeChannel,
  recordIds: RecordId[],
  onChange: (recordId: RecordId, members: PresenceMember[], change: { count: number; message: PresenceStateMessage | PresenceDiffMessage | null }) => void,
): PresenceWatch;
