/**
 * Invisible connections.
 *
 * An invisible user must look offline to everyone but their own devices, on every node, while
 * their own devices keep seeing them. Filtering per recipient would put a per-socket loop on the
 * hot path and would have to be repeated by every node for every diff. Instead invisibility is a
 * matter of *where* a connection is tracked:
 *
 * - visible: topic `user:<id>`, which the user's own sockets and every viewer's sockets join;
 * - invisible: topic `self:<id>`, which only the user's own sockets join (nobody else is ever
 *   subscribed to it: subscriptions come from the server, and it subscribes a socket to `self:`
 *   of its own user only).
 *
 * Both use the key `<id>`, so the user's own devices see one user with the metas of both
 * topics merged. Toggling moves the connection in one tracker operation (PresenceState.move): one
 * diff with the leave on the old topic and the join on the new, one delta entry, so no node ever
 * holds the connection on both topics or on neither. Viewers receive a leave (going invisible) or
 * a join (coming back) through `user:<id>`. Own devices receive the join and the leave in one
 * `presence_diff`, and clients apply joins before leaves, so they never see the user flicker
 * offline. The replicated tracker carries both topics to every node, so the same holds there with
 * no extra messages. An invisible meta carries
 * `invisible: true` so the user's own devices can show it.
 *
 * Coming back gives the connection a fresh `online_at`: the one it had would tell friends it was
 * online all along, hidden.
 */
import type { Meta } from '../../core/index.js';
import { topicFor } from '../../domain/topics.js';
import type { PresenceTracker } from '../../ports/presence-tracker.js';

/** The meta as tracked: the connection's fields, plus `invisible: true` when hidden. */
export function trackedMeta(meta: Meta, invisible: boolean): Meta {
  return invisible ? { ...meta, invisible: true } : meta;
}

/** The meta of a connection becoming visible again: online from `now` as far as friends know. */
export function visibleAgainMeta(meta: Meta, now: number): Meta {
  return { ...meta, online_at: now };
}

/** Moves a tracked connection between `user:<id>` and `self:<id>`, in one tracker operation. */
export function moveConnection(
  tracker: PresenceTracker,
  userId: string,
  conn: string,
  meta: Meta,
  toInvisible: boolean,
): boolean {
  const from = topicFor(userId, !toInvisible);
  const to = topicFor(userId, toInvisible);
  return tracker.move(from, userId, conn, to, trackedMeta(meta, toInvisible)).ok;
}
