/**
 * The replication messages between replicas (see docs/cluster-wire-format.md for their bytes).
 *
 * - heartbeat: every broadcast period with our delta, or empty after a quiet spell; carries our
 *   clock so others can see they are behind.
 * - transfer-request: "send me what I lack", with our clock.
 * - transfer-part: one part of the answer (a delta window or one snapshot chunk); parts are
 *   numbered so the requester knows when the answer is complete. An answer with nothing to send
 *   is one message with `total = 0`.
 * - transfer-ack: the requester has taken this many parts of an answer; the sender keeps only a
 *   bounded window of parts unacknowledged, so a large answer flows at the receiver's pace.
 * - leave: a clean shutdown; receivers drop our entries at once.
 */
import type { Context, DeltaWindow, ReplicaRef, TransferPart } from '../core/index.js';

export const PROTOCOL_VERSION = 1;

export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  readonly from: ReplicaRef;
  readonly clock: Context;
  readonly delta: DeltaWindow | undefined;
}

export interface TransferRequestMessage {
  readonly type: 'transfer-request';
  readonly from: ReplicaRef;
  readonly requestId: string;
  readonly clock: Context;
}

export interface TransferPartMessage {
  readonly type: 'transfer-part';
  readonly from: ReplicaRef;
  readonly requestId: string;
  /** 0-based index of this part in the answer. */
  readonly index: number;
  /** Number of parts in the answer; 0 when there was nothing to send. */
  readonly total: number;
  readonly part: TransferPart | undefined;
}

export interface TransferAckMessage {
  readonly type: 'transfer-ack';
  readonly from: ReplicaRef;
  readonly requestId: string;
  /** Parts of the answer received so far. */
  readonly received: number;
}

export interface LeaveMessage {
  readonly type: 'leave';
  readonly from: ReplicaRef;
}

export type ReplicationMessage =
  | HeartbeatMessage
  | TransferRequestMessage
  | TransferPartMessage
  | TransferAckMessage
  | LeaveMessage;
