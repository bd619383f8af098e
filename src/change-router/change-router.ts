/**
 * The one path of a tracker change on this node (Phoenix's `handle_diff`). The tracker reports
 * each change and each replica up/down to the router alone; the router groups a change by topic
 * once and calls its consumers in one declared order (change-routes.ts). The server owns it: it
 * creates it on the replica, hands `attach` to the modules that consume changes, and closes it.
 *
 * A consumer may write to the tracker while it handles a change (the leave grace untracks a
 * resumed device; a socket closing during the fan-out untracks its connection). That write reports
 * a new change while the current one is being dispatched. Dispatching it at once would show the
 * new change to the first consumers before the later ones saw the current one (a leave before its
 * join). So the router queues whatever is reported during a dispatch and dispatches it after the
 * current one, in report order; the write itself returns at once with its change, as always. Out of
 * a dispatch a report is dispatched before the write returns, as with a plain event.
 *
 * So a consumer reading the tracker's view may already see the writes of the consumers before it
 * in this dispatch; the changes those writes made reach it next.
 *
 * A consumer that throws is logged and the others still run: one consumer's bug does not cost the
 * others the change (nor the tracker's writer an exception it cannot act on).
 */
import type { PresenceChange } from '../core/index.js';
import { systemClock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ReplicaEvent, TrackerEvents } from '../ports/presence-tracker.js';
import {
  type ChangeConsumer,
  type ChangeRoutes,
  CONSUMER_ORDER,
  type ConsumerSlot,
} from './change-routes.js';
import { groupByTopic, type RoutedChange } from './routed-change.js';

type Report =
  | { readonly kind: 'change'; readonly change: PresenceChange }
  | { readonly kind: 'replica'; readonly event: ReplicaEvent };

interface Attached {
  readonly slot: ConsumerSlot;
  readonly consumer: ChangeConsumer;
}

/** A RoutedChange whose fan-out time the router fills in. */
interface Dispatched {
  readonly change: PresenceChange;
  readonly topics: RoutedChange['topics'];
  fanOutSeconds: number | undefined;
}

export class ChangeRouter implements ChangeRoutes {
  /** Consumers in dispatch order (slot order, then attach order); replaced, never mutated. */
  private consumers: readonly Attached[] = [];
  private readonly queue: Report[] = [];
  private dispatching = false;
  private closed = false;
  private readonly onChange = (change: PresenceChange) => this.report({ kind: 'change', change });
  private readonly onReplica = (event: ReplicaEvent) => this.report({ kind: 'replica', event });

  constructor(
    private readonly tracker: TrackerEvents,
    private readonly logger: Logger,
    /** Times the fan-out consumer (ms): the server's clock. @default the system's */
    private readonly now: () => number = systemClock.now,
  ) {
    tracker.on('diff', this.onChange);
    tracker.on('replica', this.onReplica);
  }

  attach(slot: ConsumerSlot, consumer: ChangeConsumer): () => void {
    const rank = CONSUMER_ORDER.indexOf(slot);
    if (rank === -1) throw new TypeError(`unknown change consumer slot "${String(slot)}"`);
    const attached: Attached = { slot, consumer };
    const at = this.consumers.findIndex((other) => CONSUMER_ORDER.indexOf(other.slot) > rank);
    const next = [...this.consumers];
    next.splice(at === -1 ? next.length : at, 0, attached);
    this.consumers = next;
    return () => {
      this.consumers = this.consumers.filter((other) => other !== attached);
    };
  }

  /** Stops listening to the tracker; what is queued is dropped. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tracker.off('diff', this.onChange);
    this.tracker.off('replica', this.onReplica);
    this.queue.length = 0;
  }

  private report(report: Report): void {
    this.queue.push(report);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      // Reports made by consumers land at the end of the queue and are dispatched in turn.
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        if (next.kind === 'change') this.dispatchChange(next.change);
        else this.dispatchReplica(next.event);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchChange(change: PresenceChange): void {
    const routed: Dispatched = { change, topics: groupByTopic(change), fanOutSeconds: undefined };
    // The fan-out's slot comes first: its time runs from its first consumer to the next slot's.
    let fanOutStartedAt: number | undefined;
    for (const { slot, consumer } of this.consumers) {
      if (slot === 'fanOut') fanOutStartedAt ??= this.now();
      else if (fanOutStartedAt !== undefined) {
        routed.fanOutSeconds ??= (this.now() - fanOutStartedAt) / 1000;
      }
      if (consumer.changed === undefined) continue;
      try {
        consumer.changed(routed);
      } catch (err) {
        this.logger.error({ err, consumer: slot }, 'a change consumer failed');
      }
    }
    if (fanOutStartedAt !== undefined) {
      routed.fanOutSeconds ??= (this.now() - fanOutStartedAt) / 1000;
    }
  }

  private dispatchReplica(event: ReplicaEvent): void {
    for (const { slot, consumer } of this.consumers) {
      if (consumer.replicaChanged === undefined) continue;
      try {
        consumer.replicaChanged(event);
      } catch (err) {
        this.logger.error({ err, consumer: slot }, 'a change consumer failed');
      }
    }
  }
}
