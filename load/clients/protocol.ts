/**
 * Messages between the load driver and its client workers (child_process IPC, JSON).
 *
 * Identity on the wire: as with the SDK, every simulated client keeps one `device` and one random
 * `lineage` for its whole life (every reconnect, on any node, after its node was killed), so a
 * reconnect takes its entry over silently (PROTOCOL.md, "Takeover"). Its `device` is
 * `<conn id>.<first node>`: any receiver knows which connection a meta belongs to and which node
 * it first connected to (not where it is now: after a failover or a move that is another). Status updates carry `t` (send time, ms since the epoch, sub-ms) and `q`
 * (the connection's sequence number). Churn connections carry their connect time and planned
 * leave time in `status` (`c<t connect>:<t leave>`), so observers measure staleness locally.
 */
import type { HistogramData } from '../histogram.js';

export type ClientKind = 'raw' | 'socket.io';

export interface WorkerConnection {
  readonly id: number;
  readonly user: string;
  readonly node: number;
}

export interface WorkerInit {
  readonly kind: 'init';
  readonly index: number;
  readonly urls: readonly string[];
  readonly secret: string;
  readonly connections: readonly WorkerConnection[];
  readonly seed: number;
  readonly connectTimeoutMs: number;
  /** Who speaks the wire: raw websockets (load/clients/wire.ts) or socket.io-client. */
  readonly client: ClientKind;
  /** After a disconnect the worker did not ask for, reconnect (to the next node) after 0..jitter ms. */
  readonly reconnect: { readonly enabled: boolean; readonly jitterMs: number };
  /** Count receipts per update (steady: lost-delivery accounting). */
  readonly countReceipts: boolean;
  /** Failover: the node that will be killed; observers elsewhere record its leaves. */
  readonly watchNode?: number;
  /**
   * Flap, drain, failover: every connection keeps its view (as a Phoenix client does) to count
   * friends seen going offline.
   */
  readonly flap?: boolean;
}

export type DriverMessage =
  | WorkerInit
  | {
      readonly kind: 'connect';
      readonly ids?: readonly number[];
      readonly ratePerSec: number;
      readonly concurrency: number;
    }
  | { readonly kind: 'updates'; readonly ratePerSec: number }
  | { readonly kind: 'stopUpdates' }
  | {
      readonly kind: 'churn';
      readonly ids: readonly number[];
      /** Mean time online (and offline) of a churning connection. */
      readonly meanLifetimeMs: number;
    }
  | { readonly kind: 'stopChurn' }
  /**
   * Delivery: `ratePerSec` of the worker's connected clients (picked at random) disconnect and,
   * after 0..awayMs, reconnect to the OTHER node (the next one).
   */
  | { readonly kind: 'moves'; readonly ratePerSec: number; readonly awayMs: number }
  | { readonly kind: 'stopMoves' }
  /**
   * Flap: `ratePerSec` connected clients (at random) drop their connection (no DISCONNECT packet:
   * the server sees a network loss) and reconnect after 0..awayMs, to the same node or the next.
   */
  | { readonly kind: 'flaps'; readonly ratePerSec: number; readonly awayMs: number }
  | { readonly kind: 'stopFlaps' }
  /** Failover: the watched node is being killed; its connections' joins and leaves count from now. */
  | { readonly kind: 'killed' }
  | { readonly kind: 'final' }
  /** Report now (a tick), then answer 'flushed': the driver changes phase in between. */
  | { readonly kind: 'flush' }
  | { readonly kind: 'close' };

export type HistogramName =
  | 'timeToState'
  | 'fanOutSame'
  | 'fanOutCross'
  | 'joinStalenessSame'
  | 'joinStalenessCross'
  | 'leaveStalenessSame'
  | 'leaveStalenessCross'
  | 'workerLoopLag'
  /** Delivery: from the HTTP send to the `deliver` result (recorded by the sender). */
  | 'deliverResult'
  /** Delivery: from the HTTP send to an arrival of the message at a connection (not a copy). */
  | 'deliverReceipt';

export const HISTOGRAM_NAMES: readonly HistogramName[] = [
  'timeToState',
  'fanOutSame',
  'fanOutCross',
  'joinStalenessSame',
  'joinStalenessCross',
  'leaveStalenessSame',
  'leaveStalenessCross',
  'workerLoopLag',
  'deliverResult',
  'deliverReceipt',
];

/** Counters a worker adds up between two ticks. */
export interface TickCounters {
  connectAttempts: number;
  presenceStates: number;
  /** Metas in the `presence_state`s received (what a connect's state costs to build and send). */
  stateMetas: number;
  connectTimeouts: number;
  connectErrors: number;
  /** Handshakes the server refused with `overloaded` (each retried after its hint). */
  connectRefusals: number;
  /** Moves asked by a draining node (`presence_drain`) and made, each to the next node. */
  drainMoves: number;
  /** Disconnects the worker did not ask for. */
  droppedConnections: number;
  /** Disconnects the worker did (churn leaves). */
  leaves: number;
  /** `presence_diff` messages received (one may carry many users' joins and leaves). */
  diffs: number;
  /** Update metas received by other connections (fan-out deliveries), one per meta. */
  deliveries: number;
  /** Metas of new presences (not updates) in diffs' joins, one per meta. */
  joinMetas: number;
  /** Metas of presences gone (not replaced by an update) in diffs' leaves, one per meta. */
  leaveMetas: number;
  updatesSent: number;
  updatesAcked: number;
  updatesRejected: number;
  /** Failover: leaves of presences that never went away (connections on the surviving nodes). */
  spuriousLeaves: number;
  /** Delivery: disconnects to reconnect on the other node (moves) the worker started. */
  moves: number;
  /** Flap: connections the worker dropped (to reconnect). */
  flaps: number;
  /** Flap: a friend's last meta leaving an observer's view (the friend seen going offline). */
  offlineTransitions: number;
  /** Delivery: `presence_message` arrivals, first ones per connection and message. */
  messagesReceived: number;
  /** Delivery: arrivals of a message a connection had already received (retries). */
  messageDuplicates: number;
  /** Delivery (sender): POST /admin/deliver calls made, and their results. */
  messagesSent: number;
  messagesAcked: number;
  messagesFallback: number;
  httpErrors: number;
}

export function emptyCounters(): TickCounters {
  return {
    connectAttempts: 0,
    presenceStates: 0,
    stateMetas: 0,
    connectTimeouts: 0,
    connectErrors: 0,
    connectRefusals: 0,
    drainMoves: 0,
    droppedConnections: 0,
    leaves: 0,
    diffs: 0,
    deliveries: 0,
    joinMetas: 0,
    leaveMetas: 0,
    updatesSent: 0,
    updatesAcked: 0,
    updatesRejected: 0,
    spuriousLeaves: 0,
    moves: 0,
    flaps: 0,
    offlineTransitions: 0,
    messagesReceived: 0,
    messageDuplicates: 0,
    messagesSent: 0,
    messagesAcked: 0,
    messagesFallback: 0,
    httpErrors: 0,
  };
}

export interface WorkerTick {
  readonly kind: 'tick';
  readonly index: number;
  /** Connections with their presence_state, now. */
  readonly connected: number;
  readonly counters: TickCounters;
  readonly histograms: Partial<Record<HistogramName, HistogramData>>;
}

/** Per watched connection: how many observers saw the event, and when the last one did. */
export interface SeenRecord {
  count: number;
  lastAt: number;
}

export interface WorkerFinal {
  readonly kind: 'final';
  readonly index: number;
  /** Connection ids that have their presence_state now. */
  readonly connectedIds: number[];
  /** Ids that ever got a presence_state. */
  readonly everConnectedIds: number[];
  /** Updates acked ok: [connection id, sequence] pairs, flattened. */
  readonly ackedUpdates: number[];
  /** `<conn>:<seq>` → receipts by other connections. */
  readonly receipts: [string, number][];
  /**
   * Failover: leaves (not updates) of the watched node's connections since its kill, seen by
   * steady observers; with a silent takeover none.
   */
  readonly offlineSeen: [number, SeenRecord][];
  /** Failover: joins (not updates) of the watched node's connections since its kill, likewise. */
  readonly onlineSeen: [number, SeenRecord][];
  /** Views kept (flap, drain, failover): per user, the views it left (seen going offline). */
  readonly offlineUsers: [string, SeenRecord][];
  /** Reconnects: [id, dropped at, presence_state at] of connections that dropped and came back. */
  readonly reconnects: [number, number, number][];
  /** Ids of connections that dropped without being asked to (ever). */
  readonly droppedIds: number[];
  /**
   * Delivery: `presence_message` receipts, flattened [message seq, connection id, first arrival
   * (ms since the epoch), arrivals] per message and connection.
   */
  readonly messageReceipts: number[];
  /**
   * Delivery: moves, flattened [connection id, closed at, presence_state on the other node at
   * (-1 if it never came back)].
   */
  readonly moves: number[];
}

export type WorkerMessage =
  | { readonly kind: 'ready'; readonly index: number }
  | { readonly kind: 'connectDone'; readonly index: number }
  | { readonly kind: 'flushed'; readonly index: number }
  | WorkerTick
  | WorkerFinal;

export function deviceName(id: number, firstNode: number): string {
  return `${id}.${firstNode}`;
}

export function parseDevice(device: unknown): { id: number; node: number } | undefined {
  if (typeof device !== 'string') return undefined;
  const [id, node] = device.split('.').map(Number);
  if (id === undefined || node === undefined) return undefined;
  return { id, node };
}

/** Wall clock in ms with sub-ms precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
