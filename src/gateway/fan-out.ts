/**
 * Forwards tracker diffs to the sockets that watch their topics, synchronously (subscription
 * steps rely on rooms and what a socket is owed moving together): each topic's change goes into
 * the outbox of every socket in the topic's local socket.io room, and the outboxes flush it as
 * one merged `presence_diff` per socket (diff-outboxes.ts).
 *
 * Only this node's rooms: the tracker already replicates to the other nodes, each of which fans
 * out to its own sockets.
 */
import type { Namespace } from 'socket.io';
import type { PresenceChange } from '../core/presence-state.js';
import type { Logger } from '../ports/logger.js';
import type { TrackerReplica } from '../runtime/tracker-replica.js';
import type { ClientToServerEvents, ServerToClientEvents } from './client-protocol.js';
import type { PresenceSocket } from './connection-session.js';
import type { DiffOutboxes } from './diff-outboxes.js';
import { changesByTopic } from './wire-payload.js';

/** A fan-out that held the event loop this long is logged (warn). */
const SLOW_FAN_OUT_MS = 100;

export type PresenceNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

export function fanOutDiffs(
  replica: TrackerReplica,
  nsp: PresenceNamespace,
  outboxes: DiffOutboxes,
  logger: Logger,
): () => void {
  const rooms = nsp.adapter.rooms;
  const onDiff = (change: PresenceChange) => {
    try {
      const started = performance.now();
      const topics = changesByTopic(change, (topic) => rooms.has(topic));
      let owed = 0;
      for (const { topic, changes } of topics) {
        const room = rooms.get(topic);
        if (room === undefined) continue;
        for (const id of room) {
          const socket = nsp.sockets.get(id) as PresenceSocket | undefined;
          if (socket === undefined) continue;
          for (const keyChange of changes) outboxes.owe(socket, keyChange);
          owed++;
        }
      }
      const ms = performance.now() - started;
      if (ms >= SLOW_FAN_OUT_MS) {
        logger.warn({ topics: topics.length, owed, ms: Math.round(ms) }, 'slow fan-out');
      }
    } catch (err) {
      logger.error({ err }, 'presence fan-out failed');
    }
  };
  replica.on('diff', onDiff);
  return () => {
    replica.off('diff', onDiff);
  };
}
