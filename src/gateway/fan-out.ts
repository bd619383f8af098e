/**
 * Forwards tracker diffs to sockets, synchronously (subscription steps rely on rooms and state
 * moving together). Two shapes, by how many topics one change touches:
 *
 * - few (the steady state: one local update, a short remote delta): each topic's diff is emitted
 *   once to the local socket.io room of that topic; socket.io encodes it once for all members.
 * - many (a replica down or up, a transfer, a long broadcast period's delta): one merged diff per
 *   socket. Each socket write costs far more than encoding (one syscall per socket per message),
 *   so a socket watching 50 of the changed topics gets 1 message instead of 50. Sockets that
 *   watch only one changed topic still share that topic's single encoding.
 *
 * `nsp.local` throughout: the tracker already replicates to the other nodes, each of which fans
 * out to its own sockets.
 */
import type { Namespace } from 'socket.io';
import type { PresenceChange } from '../core/presence-state.js';
import type { Logger } from '../ports/logger.js';
import type { TrackerReplica } from '../runtime/tracker-replica.js';
import type {
  ClientToServerEvents,
  PresenceDiff,
  ServerToClientEvents,
} from './client-protocol.js';
import { diffsByTopic, emptyPresenceMap, type TopicDiff } from './wire-payload.js';

/** A fan-out that held the event loop this long is logged (warn). */
const SLOW_FAN_OUT_MS = 100;

/** From this many topics in one change, sockets get one merged diff each. */
export const DEFAULT_COALESCE_DIFFS_AT = 16;

export type PresenceNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

export function fanOutDiffs(
  replica: TrackerReplica,
  nsp: PresenceNamespace,
  logger: Logger,
  coalesceAt = DEFAULT_COALESCE_DIFFS_AT,
): () => void {
  const onDiff = (change: PresenceChange) => {
    try {
      const started = performance.now();
      const diffs = diffsByTopic(change, (topic) => nsp.adapter.rooms.has(topic));
      if (diffs.length >= coalesceAt) emitPerSocket(nsp, diffs);
      else for (const { topic, diff } of diffs) nsp.local.to(topic).emit('presence_diff', diff);
      const ms = performance.now() - started;
      if (ms >= SLOW_FAN_OUT_MS) {
        logger.warn({ topics: diffs.length, ms: Math.round(ms) }, 'slow fan-out');
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

function emitPerSocket(nsp: PresenceNamespace, diffs: readonly TopicDiff[]): void {
  const bySocket = new Map<string, TopicDiff[]>();
  for (const topicDiff of diffs) {
    const room = nsp.adapter.rooms.get(topicDiff.topic);
    if (room === undefined) continue;
    for (const id of room) {
      const list = bySocket.get(id);
      if (list === undefined) bySocket.set(id, [topicDiff]);
      else list.push(topicDiff);
    }
  }
  const singles = new Map<TopicDiff, string[]>();
  for (const [id, list] of bySocket) {
    if (list.length === 1) {
      const only = list[0]!;
      const ids = singles.get(only);
      if (ids === undefined) singles.set(only, [id]);
      else ids.push(id);
    } else {
      nsp.sockets.get(id)?.emit('presence_diff', mergeDiffs(list));
    }
  }
  for (const [{ diff }, ids] of singles) nsp.local.to(ids).emit('presence_diff', diff);
}

/**
 * One diff of several topics' diffs, in their order (topics with joins first, see
 * diffsByTopic). The topics' `{ metas }` slots are shared, not copied, by every socket's diff
 * (socket.io encodes at emit, and nothing here mutates a shared slot): merging costs one key per
 * topic. A key can come from two topics (a user's `user:` and `self:` topics reach that user's
 * own sockets): those metas are concatenated into a new slot, never replaced.
 */
function mergeDiffs(list: readonly TopicDiff[]): PresenceDiff {
  const joins = emptyPresenceMap();
  const leaves = emptyPresenceMap();
  for (const { diff } of list) {
    appendMap(joins, diff.joins);
    appendMap(leaves, diff.leaves);
  }
  return { joins, leaves };
}

function appendMap(into: PresenceDiff['joins'], from: PresenceDiff['joins']): void {
  for (const key in from) {
    const slot = into[key];
    const metas = from[key]!.metas;
    into[key] = slot === undefined ? from[key]! : { metas: slot.metas.concat(metas) };
  }
}
