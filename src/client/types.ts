/**
 * Wire types of the client protocol (PROTOCOL.md, "Client protocol"). They are the shapes of
 * Phoenix Presence, so the same payloads sync with the `phoenix` npm package.
 */

/**
 * One connection's presence, as the server sends it. Every meta has a `phx_ref` unique
 * cluster-wide; a meta that replaced another (a status update) also carries `phx_ref_prev`.
 */
export interface Meta {
  readonly phx_ref: string;
  readonly phx_ref_prev?: string;
  readonly [field: string]: unknown;
}

/** The meta of a graph-presence connection: the fields the gateway always sets, plus custom ones. */
export interface PresenceMeta extends Meta {
  /** The status the user set (`"online"`, `"away"`, ... : the app decides). */
  readonly status: string;
  /** The device name given at connect time, if any. */
  readonly device?: string;
  /** The device kind given at connect time (`web`, `mobile`, `desktop`, `other`), if any. */
  readonly kind?: string;
  /** When this connection came online, in ms since the epoch. */
  readonly online_at: number;
}

/** All connections of one user: one meta per connection (device), oldest first. */
export interface Presence<M extends Meta = Meta> {
  readonly metas: readonly M[];
}

/**
 * User id → presence. Objects of this type built by this package have a null prototype, so
 * every string (`"__proto__"`, `"constructor"`, ...) is an ordinary user id.
 */
export type PresenceState<M extends Meta = Meta> = { [userId: string]: Presence<M> };

/** `presence_diff`: the presences that joined and left. An update is both, in one diff. */
export interface PresenceDiff<M extends Meta = Meta> {
  readonly joins: PresenceState<M>;
  readonly leaves: PresenceState<M>;
}

/** A value of an update patch: flat JSON scalars only. */
export type PatchValue = string | number | boolean;

/**
 * The body of `presence:update`: `status`, the reserved `invisible` flag and custom fields.
 * The server accepts at most 16 keys and 1 KiB encoded.
 */
export interface UpdatePatch {
  readonly status?: string;
  readonly invisible?: boolean;
  readonly [field: string]: PatchValue | undefined;
}

/** The ack of `presence:update`. */
export type UpdateAck =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };
