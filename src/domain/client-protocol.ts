/**
 * The client protocol of namespace `/presence` as types (PROTOCOL.md, "Client protocol"): what the
 * server emits, what a client may send, and the error codes a client can meet. The client SDK
 * and the server share these, so a change here is a protocol change.
 */

/** The socket.io namespace clients connect to. */
export const PRESENCE_NAMESPACE = '/presence';

/**
 * What the Phoenix Presence sync reads of a meta: every meta has a `phx_ref` unique
 * cluster-wide; a meta that replaced another (a status update) also carries `phx_ref_prev`.
 * The client SDK's sync functions take any meta of this shape (`M extends PhoenixMeta`).
 */
export interface PhoenixMeta {
  readonly phx_ref: string;
  readonly phx_ref_prev?: string;
  readonly [custom: string]: unknown;
}

/** A presence meta as clients see it: the fields the gateway always sets, plus custom ones. */
export interface WireMeta extends PhoenixMeta {
  /** The status the user set (`"online"`, `"away"`, ... : the app decides). */
  readonly status: string;
  /** The device name given at connect time, if any. */
  readonly device?: string;
  /** `web`, `mobile`, `desktop` or `other`, when the handshake named one (absent: `other`). */
  readonly kind?: string;
  /** Milliseconds since the epoch when this connection came online. */
  readonly online_at: number;
  /** Present (and true) only on the user's own invisible connections; friends never see them. */
  readonly invisible?: boolean;
}

/** All connections of one user: one meta per connection (device), oldest first. */
export interface UserMetas<M extends PhoenixMeta = WireMeta> {
  readonly metas: M[];
}

/**
 * `{ [userId]: { metas } }`: the Phoenix Presence wire shape of `presence_state` and of each side
 * of a diff. Maps built by the gateway and the client SDK have a null prototype, so every string
 * (`"__proto__"`, `"constructor"`, ...) is an ordinary user id.
 */
export type PresenceMap<M extends PhoenixMeta = WireMeta> = { [userId: string]: UserMetas<M> };

/** `presence_diff`: the presences that joined and left. An update is both, in one diff. */
export interface PresenceDiff<M extends PhoenixMeta = WireMeta> {
  readonly joins: PresenceMap<M>;
  readonly leaves: PresenceMap<M>;
}

/**
 * A message delivered to a user's connections (`deliver`). `id` is unique per message: a retry
 * carries the same id, so a client that saw it already acks again without showing it twice.
 */
export interface PresenceMessage<P = unknown> {
  readonly id: string;
  /** The app's event name (1 to 64 characters). */
  readonly event: string;
  /** The app's JSON payload (`null` when none was given). */
  readonly payload: P;
}

/** Error codes a client can meet in an ack or a `presence_error` event. */
export type ClientErrorCode =
  | 'invalid_patch'
  | 'meta_too_large'
  | 'rate_limited'
  | 'not_ready'
  | 'graph_unavailable'
  /** The connection's token expired: it is disconnected; reconnect with a fresh token. */
  | 'token_expired'
  /** Count-only rooms (extension): a malformed room name, too many rooms, a refused room. */
  | 'invalid_room'
  | 'too_many_rooms'
  | 'forbidden'
  /**
   * The connection sent more packets than its inbound budget allows (any event, acks included):
   * it is disconnected. Send less, or ask the operator to raise the budget.
   */
  | 'too_many_packets'
  /** A setting the server does not know (e.g. a last-seen visibility other than friends/nobody). */
  | 'invalid_setting'
  /** The server could not store the request now (its last-seen store is down): retry later. */
  | 'unavailable'
  | 'internal';

export interface ClientError {
  readonly code: ClientErrorCode;
  readonly message: string;
}

export type UpdateAck = { readonly ok: true } | { readonly ok: false; readonly error: ClientError };

/** A value of a `presence:update` patch: flat JSON scalars only. */
export type PatchValue = string | number | boolean;

/**
 * The body of `presence:update`: `status`, the reserved `invisible` flag and custom fields, a
 * flat object of strings, numbers and booleans. The server accepts at most 16 keys and 1 KiB
 * encoded.
 */
export interface PresencePatch {
  readonly status?: string;
  readonly invisible?: boolean;
  readonly [field: string]: PatchValue | undefined;
}

/** What a client sends in `io(url + '/presence', { auth })`. */
export interface HandshakeAuth {
  /** A JWT (HS256) whose `sub` is the user id; not needed with an app-supplied authenticate. */
  readonly token?: string;
  /** ≤ 64 characters. */
  readonly device?: string;
  /** `web`, `mobile`, `desktop` or `other`; anything else is refused. @default 'other' */
  readonly kind?: string;
  /** ≤ 64 characters. @default 'online' */
  readonly status?: string;
  /** Connect already hidden from friends (an SDK resuming an invisible session). */
  readonly invisible?: boolean;
}

export interface ServerToClientEvents {
  presence_state: (state: PresenceMap) => void;
  presence_diff: (diff: PresenceDiff) => void;
  /** A problem on this connection that is not an answer to a request (e.g. the graph is down). */
  presence_error: (error: ClientError) => void;
  /** A message for this user (`deliver`); call `ack()` once it is received. */
  presence_message: (message: PresenceMessage, ack: () => void) => void;
  /** A joined count-only room's count changed (extension; at most once per broadcast period). */
  presence_count: (update: RoomCount) => void;
  /**
   * Last seen of offline friends (extension): after `presence_state`, the friends who are offline
   * and show it; at a friend's last leave, that friend (null: hidden or unknown).
   */
  presence_last_seen: (lastSeen: LastSeenMap) => void;
  /**
   * The node is stopping (a deploy): reconnect at a random moment within `withinMs`, through the
   * balancer, to another node. Until then this connection works as before; the entry is kept
   * until the device is back elsewhere, so friends see nothing of the move.
   */
  presence_drain: (drain: DrainData) => void;
}

/** The payload of `presence_drain`. */
export interface DrainData {
  /** Reconnect at a uniformly random moment in [0, withinMs) from now (ms). */
  readonly withinMs: number;
}

/** User id → ms since the epoch they were last seen, or null when hidden or unknown. */
export type LastSeenMap = Record<string, number | null>;

/** Who may see a user's last seen: `friends` (the default) or `nobody`. */
export type LastSeenVisibilitySetting = 'friends' | 'nobody';

export interface ClientToServerEvents {
  'presence:update': (patch: PresencePatch, ack: (result: UpdateAck) => void) => void;
  /** Joins a count-only room (extension): the ack carries its count. */
  'presence:room:join': (room: string, ack: (result: RoomJoinAck) => void) => void;
  'presence:room:leave': (room: string, ack: (result: UpdateAck) => void) => void;
  /** Sets who may see this user's last seen (extension). */
  'presence:last_seen_visibility': (
    visibility: LastSeenVisibilitySetting,
    ack: (result: UpdateAck) => void,
  ) => void;
}

/** The member count of a count-only room: connections in it, cluster-wide. */
export interface RoomCount {
  readonly room: string;
  readonly count: number;
}

export type RoomJoinAck =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly error: ClientError };

/** The `connect_error` message of a refused connection without valid credentials. */
export const UNAUTHORIZED = 'unauthorized';
/** The `connect_error` message when the handshake's device/kind/status/invisible are malformed. */
export const INVALID_HANDSHAKE = 'invalid_handshake';
/** The `connect_error` message when the user already has too many connections in the cluster. */
export const TOO_MANY_CONNECTIONS = 'too_many_connections';
/**
 * The `connect_error` message when the node is admitting as many connections as it can and its
 * queue is full; `data.retryAfterMs` says when to try again (the SDK does, with backoff).
 */
export const OVERLOADED = 'overloaded';

/**
 * The `connect_error` message when the client's address made too many handshakes lately;
 * `data.retryAfterMs` says when one is allowed again (the SDK retries then).
 */
export const TOO_MANY_HANDSHAKES = 'too_many_handshakes';
/**
 * The `connect_error` message of a node that is draining (stopping): `data.retryAfterMs` says
 * when to try again, through the balancer, which routes to another node (the SDK retries then).
 */
export const DRAINING = 'draining';
/** The `connect_error` message of a connection to a namespace other than `/presence` (`/`). */
export const INVALID_NAMESPACE = 'invalid_namespace';
/** The `presence_error` code sent just before a connection over its inbound budget is closed. */
export const TOO_MANY_PACKETS = 'too_many_packets';

/** The `data` of an `overloaded`, `too_many_handshakes` or `draining` connect_error. */
export interface OverloadedData {
  readonly retryAfterMs: number;
}

/**
 * WebSocket close code of a message over the server's size limit (RFC 6455, Message Too Big):
 * how a client learns its frame was too large (over long polling: HTTP 413).
 */
export const MESSAGE_TOO_BIG_CLOSE_CODE = 1009;
