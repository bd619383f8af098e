/**
 * One connection's synced view of the visible users' presence, without any socket: feed it the
 * `presence_state` and `presence_diff` payloads in arrival order and tell it when the connection
 * is lost. It does what Phoenix's `Presence` instance does, per connection instead of per
 * channel join:
 * - diffs that arrive before the first state, or after a disconnect until the next state, are
 *   queued and applied, in order, right after that state;
 * - a state is a full resync: whatever changed since the last view is reported as joins,
 *   updates and leaves;
 * - `sync` is reported once per state (after its queued diffs) and once per applied diff.
 *
 * Queued diffs belong to one connection: losing the connection drops them, since the next
 * connection's state already contains their effect.
 */

import type { PhoenixMeta, PresenceMap, UserMetas } from '../domain/client-protocol.js';
import { presenceChanges, type UserPresenceChange } from './presence-changes.js';
import { emptyState, type PartialDiff, syncDiff, syncState } from './presence-sync.js';

/** Where a view reports what changed. */
export interface PresenceViewSink<M extends PhoenixMeta = PhoenixMeta> {
  change(change: UserPresenceChange<M>): void;
  sync(): void;
}

/** A user's presence as `list()` returns it. */
export interface ListedPresence<M extends PhoenixMeta = PhoenixMeta> {
  readonly userId: string;
  readonly metas: readonly M[];
}

export class PresenceView<M extends PhoenixMeta = PhoenixMeta> {
  #state: PresenceMap<M> = emptyState<M>();
  #pending: PartialDiff<M>[] = [];
  #synced = false;
  readonly #sink: PresenceViewSink<M>;

  constructor(sink: PresenceViewSink<M>) {
    this.#sink = sink;
  }

  /** True once a state arrived on the current connection. */
  get synced(): boolean {
    return this.#synced;
  }

  /** How many diffs wait for the next state. */
  get pendingDiffs(): number {
    return this.#pending.length;
  }

  /** The current state (null prototype). Read-only: never mutate it. */
  get state(): PresenceMap<M> {
    return this.#state;
  }

  /** Applies a full state, then the queued diffs; reports the changes, then one `sync`. */
  handleState(newState: PresenceMap<M>): void {
    const before = this.#state;
    let after = syncState(before, newState);
    const pending = this.#pending;
    this.#pending = [];
    for (const diff of pending) after = syncDiff(after, diff);
    this.#state = after;
    this.#synced = true;
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const diff of pending) addDiffKeys(keys, diff);
    this.#report(presenceChanges(before, after, keys));
  }

  /** Applies a diff, or queues it until the next state. */
  handleDiff(diff: PartialDiff<M>): void {
    if (!this.#synced) {
      this.#pending.push(diff);
      return;
    }
    const before = this.#state;
    this.#state = syncDiff(before, diff);
    this.#report(presenceChanges(before, this.#state, addDiffKeys(new Set(), diff)));
  }

  /** The connection is gone: keep showing the last view, queue diffs until the next state. */
  handleDisconnect(): void {
    this.#synced = false;
    this.#pending = [];
  }

  /** Forgets everything (the view of a client that was closed for good). */
  clear(): void {
    this.#state = emptyState<M>();
    this.handleDisconnect();
  }

  /**
   * Every visible user with their metas, in the state's key order (integer-like ids first).
   * A user whose presence has no meta (a state may hold one) is not listed.
   */
  list(): ListedPresence<M>[] {
    const users: ListedPresence<M>[] = [];
    for (const userId of Object.keys(this.#state)) {
      const metas = this.#state[userId]!.metas;
      if (metas.length > 0) users.push({ userId, metas });
    }
    return users;
  }

  /** One user's presence, or `undefined` when they are not visible. */
  get(userId: string): UserMetas<M> | undefined {
    const presence = Object.hasOwn(this.#state, userId) ? this.#state[userId] : undefined;
    return presence && presence.metas.length > 0 ? presence : undefined;
  }

  #report(changes: UserPresenceChange<M>[]): void {
    for (const change of changes) this.#sink.change(change);
    this.#sink.sync();
  }
}

function addDiffKeys(keys: Set<string>, diff: PartialDiff): Set<string> {
  for (const key of Object.keys(diff.joins ?? {})) keys.add(key);
  for (const key of Object.keys(diff.leaves ?? {})) keys.add(key);
  return keys;
}
