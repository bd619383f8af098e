/**
 * Forwards tracker diffs to sockets: every change is split by topic and each topic's diff is
 * emitted once to the local socket.io room of that topic (`nsp.local`: the tracker already
 * replicates to the other nodes, each of which fans out to its own sockets). socket.io encodes a
 * room broadcast once for all its members; there is no per-socket loop here.
 */
import type { Namespace } from 'socket.io';
import type { PresenceChange } from '../core/presence-state.js';
import type { Logger } from '../ports/logger.js';
import type { TrackerReplica } from '../runtime/tracker-replica.js';
import type { ClientToServerEvents, ServerToClientEvents } from './client-protocol.js';
import { diffsByTopic } from './wire-payload.js';

/** A fan-out that held the event loop this long is logged (warn). */
const SLOW_FAN_OUT_MS = 100;

export type PresenceNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

export function fanOutDiffs(
  replica: TrackerReplica,
  nsp: PresenceNamespace,
  logger: Logger,
): () => void {
  const onDiff = (change: PresenceChange) => {
    try {
      const started = performance.now();
      let topics = 0;
      for (const { topic, diff } of diffsByTopic(change, (topic) => nsp.adapter.rooms.has(topic))) {
        nsp.local.to(topic).emit('presence_diff', diff);
        topics++;
      }
      const ms = performance.now() - started;
      if (ms >= SLOW_FAN_OUT_MS) logger.warn({ topics, ms: Math.round(ms) }, 'slow fan-out');
    } catch (err) {
      logger.error({ err }, 'presence fan-out failed');
    }
  };
  replica.on('diff', onDiff);
  return () => {
    replica.off('diff', onDiff);
  };
}
