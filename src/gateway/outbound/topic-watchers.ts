/**
 * Which of this node's sockets watch each topic (`user:<id>` of a friend or of their own user,
 * `self:<id>`): the index the fan-out reads to owe a change to its watchers.
 *
 * Kept by the sessions themselves rather than in socket.io rooms: the adapter keeps two indexes
 * (room → socket ids and socket id → room names) and joins through a generic path that cost
 * ≈ 100 µs and ≈ 5.9 KB per connect at 100 friends (load/connect-cost-bench.ts). Here a topic holds
 * its sockets themselves (no id lookup on fan-out) and each session keeps its own friends' ids
 * (subscriptions.ts), which it needs anyway. Updated synchronously with the subscription step that
 * reads the tracker, so no change falls between a socket's state and its first diff.
 */
import type { PresenceSocket } from '../../domain/presence-socket.js';

export class TopicWatchers {
  readonly #topics = new Map<string, Set<PresenceSocket>>();

  /** Topics watched by at least one socket here. */
  get size(): number {
    return this.#topics.size;
  }

  /** True if a socket here watches `topic`. */
  has(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** The sockets watching `topic`. */
  of(topic: string): ReadonlySet<PresenceSocket> | undefined {
    return this.#topics.get(topic);
  }

  /** True if `socket` watches `topic`. */
  watches(socket: PresenceSocket, topic: string): boolean {
    return this.#topics.get(topic)?.has(socket) === true;
  }

  add(topic: string, socket: PresenceSocket): void {
    const sockets = this.#topics.get(topic);
    if (sockets === undefined) this.#topics.set(topic, new Set<PresenceSocket>().add(socket));
    else sockets.add(socket);
  }

  remove(topic: string, socket: PresenceSocket): void {
    const sockets = this.#topics.get(topic);
    if (sockets === undefined || !sockets.delete(socket)) return;
    if (sockets.size === 0) this.#topics.delete(topic);
  }
}
