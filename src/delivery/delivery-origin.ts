/**
 * The origin side of delivery (PROTOCOL.md, "Delivery to a user"): the node where `deliver` was
 * called keeps one pending delivery per message until it settles. Kept apart from the receiving
 * side (delivery-receiver.ts) because all the state lives here: the phases, the acks per node,
 * the timers and the fallback hook; a receiver only emits and answers.
 *
 * A pending delivery goes to the nodes presence says host the user (this node directly, others
 * by a deliver frame) and settles at the first client ack (or, with `ack: 'all'`, once every
 * reached connection answered). Presence may be stale (the user moved): when the routed nodes all
 * answer without an ack, or the first half of the timeout passes, the message goes to every node
 * (broadcast). Until the deadline, a connection of the user that joins anywhere (a reconnect) gets
 * it too. No ack by the deadline: the fallback hook. Every call resolves, delivered or handed to
 * the fallback (whose failure is reported), close() included.
 */
import type { RoutedChange } from '../change-router/routed-change.js';
import type { PresenceMessage } from '../domain/client-protocol.js';
import type { PresenceSocket } from '../domain/presence-socket.js';
import { selfTopic, userTopic } from '../domain/topics.js';
import { InvalidOptionError } from '../errors.js';
import { type Clock, systemServerClock, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { encodeDeliveryFrame, FLAG_ALL, FLAG_QUIET } from './delivery-frames.js';
import {
  type CheckedDelivery,
  checkDelivery,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  isTimeoutMs,
  MAX_DELIVERY_TIMEOUT_MS,
} from './delivery-input.js';
import type {
  DeliverOptions,
  DeliveryResult,
  OnUndelivered,
  UndeliveredReason,
} from './delivery-types.js';
import type { FrameSender } from './frame-sender.js';
import { emitToSockets } from './local-emit.js';
import { MessageIds } from './message-ids.js';

export interface DeliveryOriginOptions {
  /** This node's replica: presence says where users are; its name is this node's. */
  readonly replica: PresenceTracker;
  /** This node's open sockets of a user: the origin reaches them without a frame. */
  readonly localSockets: (userId: string) => readonly PresenceSocket[];
  readonly sender: FrameSender;
  readonly onUndelivered?: OnUndelivered | undefined;
  readonly timeoutMs?: number | undefined;
  readonly logger: Logger;
  /** The server's clock: deadlines, attempts and latencies. @default the system's */
  readonly clock?: (Clock & Timers) | undefined;
}

/** The origin's counters (the receiving side adds framesDropped). */
export interface OriginStats {
  readonly delivered: number;
  /** Undelivered, taken by the fallback hook. */
  readonly fallback: number;
  /** Undelivered, and no hook or the hook failed. */
  readonly failed: number;
  /** Retries to every node after the routed attempt found no ack. */
  readonly broadcasts: number;
  /** Sends to a node where a connection of the user joined while the delivery was pending. */
  readonly joinRetries: number;
  readonly pending: number;
}

/** Told of every settled delivery (metrics). */
export type SettledListener = (result: DeliveryResult, latencyMs: number) => void;

interface Pending {
  readonly checked: CheckedDelivery;
  readonly message: PresenceMessage;
  readonly startedAt: number;
  readonly deadlineAt: number;
  phase: 'routed' | 'broadcast';
  /** Nodes whose answer is still awaited in this phase. */
  readonly awaiting: Set<string>;
  /** Acks per node: the most any one answer reported (a retry reaches the same sockets). */
  readonly ackedBy: Map<string, number>;
  acked: number;
  timer: unknown;
  settled: boolean;
  readonly resolve: (result: DeliveryResult) => void;
}

export class DeliveryOrigin {
  private readonly name: string;
  private readonly ids = new MessageIds();
  private readonly pending = new Map<string, Pending>();
  private readonly pendingByUser = new Map<string, Set<Pending>>();
  private readonly hooks = new Set<Promise<void>>();
  private readonly listeners = new Set<SettledListener>();
  private readonly defaultTimeoutMs: number;
  private readonly counts = {
    delivered: 0,
    fallback: 0,
    failed: 0,
    broadcasts: 0,
    joinRetries: 0,
  };
  private closing: Promise<void> | undefined;

  private readonly clock: Clock & Timers;

  constructor(private readonly options: DeliveryOriginOptions) {
    this.clock = options.clock ?? systemServerClock;
    this.name = options.replica.ref.name;
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    if (!isTimeoutMs(this.defaultTimeoutMs)) {
      throw new InvalidOptionError(
        `delivery.timeoutMs must be an integer from 1 to ${MAX_DELIVERY_TIMEOUT_MS}, got ${String(options.timeoutMs)}`,
      );
    }
  }

  /**
   * Starts a pending delivery of `event` with `payload` to `userId`; see Deliverer.deliver.
   * @throws InvalidDeliveryError (rejects) on a malformed argument: nothing is sent then.
   */
  deliver(
    userId: string,
    event: string,
    payload?: unknown,
    options?: DeliverOptions,
  ): Promise<DeliveryResult> {
    let checked: CheckedDelivery;
    try {
      checked = checkDelivery(userId, event, payload, options, this.defaultTimeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.ids.next();
    const message: PresenceMessage = { id, event: checked.event, payload: checked.payload };
    return new Promise<DeliveryResult>((resolve) => {
      const startedAt = this.clock.now();
      const p: Pending = {
        checked,
        message,
        startedAt,
        deadlineAt: startedAt + checked.timeoutMs,
        phase: 'routed',
        awaiting: new Set(),
        ackedBy: new Map(),
        acked: 0,
        timer: undefined,
        settled: false,
        resolve,
      };
      if (this.closing) {
        this.settleUndelivered(p, 'closed');
        return;
      }
      this.pending.set(id, p);
      let ofUser = this.pendingByUser.get(checked.userId);
      if (!ofUser) {
        ofUser = new Set();
        this.pendingByUser.set(checked.userId, ofUser);
      }
      ofUser.add(p);
      this.route(p);
    });
  }

  /** Adds a listener of settled deliveries; returns its remover. */
  onSettled(listener: SettledListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): OriginStats {
    return { ...this.counts, pending: this.pending.size };
  }

  /**
   * Pending deliveries resolve undelivered (`reason: 'closed'`) through the fallback hook, and
   * so do later calls. Resolves once those hooks settled.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const p of [...this.pending.values()]) this.settleUndelivered(p, 'closed');
      while (this.hooks.size > 0) await Promise.all(this.hooks);
    })();
    return this.closing;
  }

  /** A node (this one or another, by an answer frame) reports how many of its sockets acked. */
  answered(id: string, node: string, acked: number): void {
    const p = this.pending.get(id);
    if (!p || p.settled) return;
    const before = p.ackedBy.get(node) ?? 0;
    if (acked > before) {
      p.ackedBy.set(node, acked);
      p.acked += acked - before;
    }
    p.awaiting.delete(node);
    if (p.acked > 0 && (p.checked.ack === 'first' || p.awaiting.size === 0)) {
      this.settleDelivered(p);
    } else if (p.phase === 'routed' && p.awaiting.size === 0) {
      // Every node presence named answered, none with an ack: presence is stale.
      this.broadcast(p);
    }
  }

  /** A connection of a user with pending deliveries joined somewhere: send it there too. */
  joined(change: RoutedChange): void {
    if (this.pendingByUser.size === 0) return;
    for (const join of change.change.joins) {
      const waiting = this.pendingByUser.get(join.key);
      if (!waiting) continue;
      if (join.topic !== userTopic(join.key) && join.topic !== selfTopic(join.key)) continue;
      const node = join.replica.ref.name;
      for (const p of [...waiting]) {
        if (p.settled || (p.phase === 'routed' && p.awaiting.has(node))) continue;
        this.counts.joinRetries++;
        if (p.checked.ack === 'all') p.awaiting.add(node);
        this.send(p, node, this.remainingMs(p));
      }
    }
  }

  /** First attempt: the nodes presence names; straight to every node when it names none. */
  private route(p: Pending): void {
    const hosts = this.hostsOf(p.checked.userId);
    if (hosts.size === 0) {
      this.broadcast(p);
      return;
    }
    const attemptMs = Math.max(1, Math.floor(p.checked.timeoutMs / 2));
    p.timer = this.clock.setTimeout(() => this.attemptExpired(p), attemptMs);
    for (const host of hosts) p.awaiting.add(host);
    for (const host of hosts) {
      // A local answer comes at once and may already have settled or widened the delivery.
      if (p.settled || p.phase !== 'routed') break;
      this.send(p, host, attemptMs);
    }
  }

  /** The user's nodes as this node's presence sees them (visible and invisible topics). */
  private hostsOf(userId: string): Set<string> {
    const { view } = this.options.replica;
    const hosts = new Set<string>();
    for (const presence of view.get(userTopic(userId), userId))
      hosts.add(presence.replica.ref.name);
    for (const presence of view.get(selfTopic(userId), userId))
      hosts.add(presence.replica.ref.name);
    return hosts;
  }

  /** The retry: every node, this one included. */
  private broadcast(p: Pending): void {
    this.clock.clearTimeout(p.timer);
    p.phase = 'broadcast';
    p.awaiting.clear();
    this.counts.broadcasts++;
    const remainingMs = this.remainingMs(p);
    p.timer = this.clock.setTimeout(() => this.expired(p), remainingMs);
    const all = p.checked.ack === 'all';
    if (all) {
      // 'all' may end before the deadline once every node known to be up has answered.
      for (const record of this.options.replica.health.all()) {
        if (record.status === 'up') p.awaiting.add(record.ref.name);
      }
      p.awaiting.add(this.name);
    }
    const { sender } = this.options;
    if (sender.connected) {
      // With 'first', nodes without a socket of the user stay silent: no reply storm.
      sender.broadcast(this.deliverFrame(p, remainingMs, !all));
    }
    this.send(p, this.name, remainingMs);
  }

  /** To one node: this one directly, another by a deliver frame. */
  private send(p: Pending, node: string, ackTimeoutMs: number): void {
    if (node === this.name) {
      emitToSockets(
        this.options.localSockets(p.checked.userId),
        p.message,
        p.checked.ack === 'all',
        ackTimeoutMs,
        (_sockets, acked) => this.answered(p.message.id, node, acked),
      );
      return;
    }
    const { sender } = this.options;
    if (sender.connected) sender.sendTo(node, this.deliverFrame(p, ackTimeoutMs, false));
  }

  private deliverFrame(p: Pending, ackTimeoutMs: number, quiet: boolean): Uint8Array {
    return encodeDeliveryFrame({
      kind: 'deliver',
      id: p.message.id,
      origin: this.name,
      userId: p.checked.userId,
      event: p.checked.event,
      payloadJson: p.checked.payloadJson,
      flags: (p.checked.ack === 'all' ? FLAG_ALL : 0) | (quiet ? FLAG_QUIET : 0),
      ackTimeoutMs,
    });
  }

  private attemptExpired(p: Pending): void {
    if (p.settled) return;
    if (p.acked > 0) this.settleDelivered(p);
    else this.broadcast(p);
  }

  private expired(p: Pending): void {
    if (p.settled) return;
    if (p.acked > 0) this.settleDelivered(p);
    else this.settleUndelivered(p, 'timeout');
  }

  private remainingMs(p: Pending): number {
    return Math.max(1, Math.ceil(p.deadlineAt - this.clock.now()));
  }

  private settleDelivered(p: Pending): void {
    this.finish(p);
    this.counts.delivered++;
    this.report(p, { delivered: true, id: p.message.id, connections: p.acked });
  }

  /** Hands the message to the fallback hook, then resolves. */
  private settleUndelivered(p: Pending, reason: UndeliveredReason): void {
    this.finish(p);
    const { id } = p.message;
    const hook = this.options.onUndelivered;
    if (!hook) {
      this.counts.failed++;
      this.report(p, { delivered: false, id, reason, fallback: false });
      return;
    }
    const { userId, event, payload } = p.checked;
    const handed = Promise.resolve()
      .then(() => hook({ id, userId, event, payload, reason }))
      .then(
        () => {
          this.counts.fallback++;
          this.report(p, { delivered: false, id, reason, fallback: true });
        },
        (error: unknown) => {
          this.counts.failed++;
          this.options.logger.error(
            { err: error, id, user: userId, reason },
            'delivery fallback hook failed: the message reached nobody',
          );
          const fallbackError = error instanceof Error ? error.message : String(error);
          this.report(p, { delivered: false, id, reason, fallback: false, fallbackError });
        },
      )
      .finally(() => this.hooks.delete(handed));
    this.hooks.add(handed);
  }

  private finish(p: Pending): void {
    p.settled = true;
    this.clock.clearTimeout(p.timer);
    this.pending.delete(p.message.id);
    const ofUser = this.pendingByUser.get(p.checked.userId);
    if (ofUser?.delete(p) && ofUser.size === 0) this.pendingByUser.delete(p.checked.userId);
  }

  private report(p: Pending, result: DeliveryResult): void {
    const latencyMs = this.clock.now() - p.startedAt;
    for (const listener of this.listeners) {
      try {
        listener(result, latencyMs);
      } catch (err) {
        this.options.logger.error({ err }, 'delivery settled listener failed');
      }
    }
    p.resolve(result);
  }
}
