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
