/**
 * What a client worker measures at its receivers: counters and histograms reported every
 * second (tick), and the records the driver accounts for at the end (final): receipts per
 * update, acked updates, failover observers, reconnects, delivery receipts, moves.
 *
 * A `presence_diff` may carry many users' joins and leaves (merged diffs, batching): every meta
 * counts on its own (`deliveries`, receipts, staleness), the message once (`diffs`).
 */
import type {
  PresenceDiff,
  PresenceMap,
  PresenceMessage,
  WireMeta,
} from '../../src/domain/client-protocol.js';
import { Histogram, type HistogramData } from '../histogram.js';
import {
  emptyCounters,
  HISTOGRAM_NAMES,
  type HistogramName,
  nowMs,
  parseDevice,
  type SeenRecord,
  type TickCounters,
  type WorkerFinal,
} from './protocol.js';

/** A load client's meta: the server's, plus `t` (send time) and `q` (sequence) of its update. */
export interface LoadMeta extends WireMeta {
  readonly t?: number;
  readonly q?: number;
}
/** A `presence_diff` as read here: either side may be missing. */
export type LoadDiff = Partial<PresenceDiff<LoadMeta>>;
/** A `deliver` message; the load sender's payload is `{ q: sequence, t: send time }`. */
export type LoadMessage = Partial<PresenceMessage<{ readonly q?: number; readonly t?: number }>>;

/** Who observes a diff: the receiving connection. */
export interface Observer {
  readonly id: number;
  readonly node: number;
  /** Up since before the watched node died, never dropped (failover). */
  readonly steady: boolean;
}

export interface MeasureOptions {
  /** Count receipts per update (steady: lost-delivery accounting). */
  readonly countReceipts: boolean;
  /** Failover: the node that will be killed. */
  readonly watchNode: number | undefined;
  /** Flap: keep every connection's view and count friends seen going offline. */
  readonly flap?: boolean;
}

function parseChurnStatus(status: string | undefined): [number, number] | undefined {
  if (status === undefined || status[0] !== 'c') return undefined;
  const colon = status.indexOf(':');
  return [Number(status.slice(1, colon)), Number(status.slice(colon + 1))];
}

function bump<K>(map: Map<K, SeenRecord>, id: K, at: number): void {
  const record = map.get(id);
  if (record) {
    record.count += 1;
    if (at > record.lastAt) record.lastAt = at;
  } else map.set(id, { count: 1, lastAt: at });
}

export class Measurements {
  counters = emptyCounters();
  private histograms = new Map<HistogramName, Histogram>();
  /** `<conn>:<seq>` → receipts by other connections. */
  private readonly receipts = new Map<string, number>();
  /** Updates acked ok: [connection id, sequence] pairs, flattened. */
  readonly ackedUpdates: number[] = [];
  private readonly offlineSeen = new Map<number, SeenRecord>();
  private readonly onlineSeen = new Map<number, SeenRecord>();
  /** [id, dropped at, presence_state at] of connections that dropped and came back. */
  readonly reconnects: [number, number, number][] = [];
  readonly everConnected = new Set<number>();
  readonly droppedIds = new Set<number>();
  /** Delivery: `<conn id>:<message seq>` → its receipt record (first arrival, arrivals). */
  private readonly messageReceipts = new Map<
    string,
    { seq: number; id: number; at: number; n: number }
  >();
  /** Delivery: [id, closed at, back at (-1 until then)] per move. */
  readonly moves: [number, number, number][] = [];
  /** Flap: per connection, the refs it holds per user (its view, as a Phoenix client's). */
  private readonly views = new Map<number, Map<string, Set<string>>>();
  /** Flap: per user, the views it left. */
  private readonly offlineUsers = new Map<string, SeenRecord>();
  /** Failover: when the watched node was killed (its connections' joins and leaves count after). */
  private watchFrom: number | undefined;

  constructor(private readonly options: MeasureOptions) {}

  hist(name: HistogramName): Histogram {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram();
      this.histograms.set(name, h);
    }
    return h;
  }

  /** A connection's presence_state: its view starts over (flap). */
  onState(observer: Observer, state: PresenceMap<LoadMeta>): void {
    if (!this.options.flap) return;
    const view = new Map<string, Set<string>>();
    for (const user in state) view.set(user, new Set(state[user]!.metas.map((m) => m.phx_ref)));
    this.views.set(observer.id, view);
  }

  /**
   * Flap: applies a diff to the observer's view as Phoenix does (joins, then leaves, by ref) and
   * counts every user whose last meta left: a friend seen going offline.
   */
  private applyToView(observer: Observer, diff: LoadDiff): void {
    const view = this.views.get(observer.id);
    if (view === undefined) return;
    for (const user in diff.joins) {
      let refs = view.get(user);
      if (refs === undefined) {
        refs = new Set();
        view.set(user, refs);
      }
      for (const meta of diff.joins[user]!.metas) refs.add(meta.phx_ref);
    }
    for (const user in diff.leaves) {
      const refs = view.get(user);
      if (refs === undefined || refs.size === 0) continue;
      for (const meta of diff.leaves[user]!.metas) refs.delete(meta.phx_ref);
      if (refs.size > 0) continue;
      view.delete(user);
      this.counters.offlineTransitions += 1;
      bump(this.offlineUsers, user, nowMs());
    }
  }

  /** Failover: the watched node is being killed now. */
  killed(): void {
    this.watchFrom = nowMs();
  }

  onDiff(observer: Observer, diff: LoadDiff): void {
    const now = nowMs();
    const c = this.counters;
    c.diffs += 1;
    if (this.options.flap) this.applyToView(observer, diff);
    let updatedRefs: Set<string> | undefined;
    const watchNode = this.options.watchNode;
    const watching = watchNode !== undefined && observer.steady && observer.node !== watchNode;
    const afterKill = watching && this.watchFrom !== undefined;
    const joins = diff.joins;
    for (const user in joins) {
      for (const meta of joins[user]!.metas) {
        const from = parseDevice(meta.device);
        if (!from) continue;
        if (meta.phx_ref_prev !== undefined) {
          updatedRefs ??= new Set();
          updatedRefs.add(meta.phx_ref_prev);
          if (from.id === observer.id || meta.t === undefined) continue;
          c.deliveries += 1;
          this.hist(from.node === observer.node ? 'fanOutSame' : 'fanOutCross').record(
            now - meta.t,
          );
          if (this.options.countReceipts) {
            const key = `${from.id}:${meta.q}`;
            this.receipts.set(key, (this.receipts.get(key) ?? 0) + 1);
          }
          continue;
        }
        if (from.id === observer.id) continue;
        c.joinMetas += 1;
        const churn = parseChurnStatus(meta.status);
        if (churn) {
          const same = from.node === observer.node;
          this.hist(same ? 'joinStalenessSame' : 'joinStalenessCross').record(now - churn[0]);
        }
        if (afterKill && from.node === watchNode) bump(this.onlineSeen, from.id, now);
      }
    }
    const leaves = diff.leaves;
    for (const user in leaves) {
      for (const meta of leaves[user]!.metas) {
        if (updatedRefs?.has(meta.phx_ref)) continue;
        const from = parseDevice(meta.device);
        if (!from || from.id === observer.id) continue;
        c.leaveMetas += 1;
        const churn = parseChurnStatus(meta.status);
        if (churn) {
          const same = from.node === observer.node;
          this.hist(same ? 'leaveStalenessSame' : 'leaveStalenessCross').record(now - churn[1]);
        }
        if (watching) {
          if (from.node !== watchNode) c.spuriousLeaves += 1;
          else if (afterKill) bump(this.offlineSeen, from.id, now);
        }
      }
    }
  }

  /** Records a message's arrival before the caller acks it: an acked message is always counted. */
  onMessage(receiver: number, message: LoadMessage | undefined): void {
    const now = nowMs();
    const seq = message?.payload?.q;
    if (typeof seq !== 'number') return;
    const key = `${receiver}:${seq}`;
    const receipt = this.messageReceipts.get(key);
    if (receipt) {
      receipt.n += 1;
      this.counters.messageDuplicates += 1;
      return;
    }
    this.messageReceipts.set(key, { seq, id: receiver, at: now, n: 1 });
    this.counters.messagesReceived += 1;
    const sentAt = message?.payload?.t;
    if (typeof sentAt === 'number') this.hist('deliverReceipt').record(now - sentAt);
  }

  /** What was measured since the last call (histograms and counters start afresh). */
  takeTick(): {
    counters: TickCounters;
    histograms: Partial<Record<HistogramName, HistogramData>>;
  } {
    const histograms: Partial<Record<HistogramName, HistogramData>> = {};
    for (const name of HISTOGRAM_NAMES) {
      const h = this.histograms.get(name);
      if (h && h.count > 0) histograms[name] = h.toData();
    }
    const counters = this.counters;
    this.counters = emptyCounters();
    this.histograms = new Map();
    return { counters, histograms };
  }

  final(index: number, connectedIds: number[]): WorkerFinal {
    return {
      kind: 'final',
      index,
      connectedIds,
      everConnectedIds: [...this.everConnected],
      ackedUpdates: this.ackedUpdates,
      receipts: [...this.receipts.entries()],
      offlineSeen: [...this.offlineSeen.entries()],
      onlineSeen: [...this.onlineSeen.entries()],
      offlineUsers: [...this.offlineUsers.entries()],
      reconnects: this.reconnects,
      droppedIds: [...this.droppedIds],
      messageReceipts: [...this.messageReceipts.values()].flatMap((r) => [r.seq, r.id, r.at, r.n]),
      moves: this.moves.flat(),
    };
  }
}
