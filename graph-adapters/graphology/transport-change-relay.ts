/**
 * A FriendsGraphChangeRelay over a replication transport: carries the edge changes of an
 * in-memory (graphology) friends graph between the nodes of a cluster. Give it the node bus's
 * `graph` channel, never the tracker's: frames here are JSON EdgeChanges, not tracker messages.
 * With a cluster secret the bus drops edges from anyone who does not hold it.
 *
 * A frame that is not a valid EdgeChange is dropped with a warning and counted; a transport never
 * delivers a node's own broadcast back to it. Changes published while the link is down are lost
 * (the transport drops them): nodes that load the same graph file agree again after a restart.
 */

import { isValidUserId as isUserId, MAX_USER_ID_BYTES } from '../../src/domain/user-id.js';
import type { BusChannel } from '../../src/ports/bus-channel.js';
import type { EdgeChange, FriendsGraphChangeRelay } from '../../src/ports/friends-graph.js';
import { type Logger, silentLogger } from '../../src/ports/logger.js';

/** Largest frame worth parsing: two ids (a JSON escape is up to 6 bytes a byte) and a few fields. */
const MAX_FRAME_BYTES = 2 * 6 * MAX_USER_ID_BYTES + 256;

export interface TransportGraphChangeRelay extends FriendsGraphChangeRelay {
  /** Frames dropped because they were not valid EdgeChanges. */
  readonly droppedFrames: number;
}

export function createTransportGraphChangeRelay(
  transport: BusChannel,
  logger: Logger = silentLogger,
): TransportGraphChangeRelay {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let dropped = 0;
  return {
    get droppedFrames() {
      return dropped;
    },
    publish(change) {
      const { kind, source, target, directed } = change;
      transport.broadcast(encoder.encode(JSON.stringify({ kind, source, target, directed })));
    },
    subscribe(onRemoteChange) {
      return transport.onFrame((frame) => {
        const parsed = decodeEdgeChange(frame, decoder);
        if (typeof parsed === 'string') {
          dropped++;
          logger.warn(
            { reason: parsed, bytes: frame.byteLength },
            'graph change relay: dropped a bad frame',
          );
          return;
        }
        onRemoteChange(parsed);
      });
    },
  };
}

/** The change, or why the frame is not one. */
export function decodeEdgeChange(
  frame: Uint8Array,
  decoder = new TextDecoder(),
): EdgeChange | string {
  if (frame.byteLength > MAX_FRAME_BYTES) return `frame too large (${frame.byteLength} bytes)`;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(frame));
  } catch {
    return 'not UTF-8 JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const { kind, source, target, directed } = value as Record<string, unknown>;
  if (kind !== 'edge-added' && kind !== 'edge-removed') {
    return 'kind must be "edge-added" or "edge-removed"';
  }
  if (!isUserId(source) || !isUserId(target)) return 'source and target must be user ids';
  if (source === target) return 'source and target must differ';
  if (typeof directed !== 'boolean') return 'directed must be a boolean';
  return { kind, source, target, directed };
}
