/**
 * Forwards tracker changes to the sockets that watch their topics: the first consumer of the
 * change router (src/change-router/). Drops the `presence_state` fragments of the changed topics,
 * then puts each topic's change into the outbox of every socket here that watches the topic
 * (topic-watchers.ts), and the outboxes flush it as one merged `presence_diff` per socket (diff-outboxes.ts).
 *
 * A big change (a node down or up, a transfer: thousands of topics, each watched by ~100 sockets
 * here) is spread over turns: at most `fanOutSliceMs` (8 ms) of it per turn, so timers (heartbeats, down
 * detection) and I/O never wait behind it. A topic's not-yet-delivered parts stay queued in order;
 * a subscription step settles the topics it touches first ({@link DiffFanOut.settle}), so a
 * socket joining a topic never gets a part of a change its state already holds, and a socket
 * leaving one holds exactly what the tracker and its outbox say.
 *
 * Only this node's sockets: the tracker already replicates to the other nodes, each of which fans
 * out to its own sockets.
 */
import type { Namespace } from 'socket.io';
import type { ChangeRoutes } from '../../change-router/change-routes.js';
import type { RoutedChange } from '../../change-router/routed-change.js';
import type { Presence } from '../../core/entry.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../domain/client-protocol.js';
import { PRESENCE_OPTIONS } from '../../options/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import { RateLimitedLog } from '../../ports/rate-limited-log.js';
import type { DiffOutboxes } from './diff-outboxes.js';
import type { KeyChange } from './key-change.js';
import type { PresenceStateFragments } from './presence-state-message.js';
import type { TopicWatchers } from './topic-watchers.js';
import { changesByTopic } from './wire-payload.js';
import type { WireRefs } from './wire-refs.js';

/** The longest one turn spends handing changes to outboxes (`fanOutSliceMs`). */
export const DEFAULT_FAN_OUT_SLICE_MS = PRESENCE_OPTIONS.options.fanOutSliceMs.default;
/** Owes between two looks at the clock. */
const OWES_PER_CHECK = 2_048;
/** A turn that spent this long is logged (warn). */
const SLOW_FAN_OUT_MS = 100;

export type PresenceNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

/** What a subscription step needs of the fan-out. */
export interface TopicSettler {
  /** Hands every queued part of `topic`'s changes to its watchers now. */
  settle(topic: string): void;
}

export class DiffFanOut implements TopicSettler {
  /** Topics with changes not yet handed to their watchers, parts in order (oldest topic first). */
  private readonly queued = new Map<string, KeyChange[]>();
  private immediate: NodeJS.Immediate | undefined;
  private readonly detachChanges: () => void;
  /** Entries dropped because their key was not their topic's (wire-payload.ts), since start. */
  foreignKeyEntries = 0;
  private readonly dropLog: RateLimitedLog;
  private readonly onForeignKey = (presence: Presence) => {
    this.foreignKeyEntries += 1;
    this.dropLog.warn(
      'foreign-key',
      { topic: presence.topic, key: presence.key, replica: presence.replica.ref },
      "dropped a presence whose key is not its topic's",
    );
  };

  constructor(
    changes: ChangeRoutes,
    /** Dropped for the changed topics first, so no later state is built from before a change. */
    private readonly stateFragments: PresenceStateFragments,
    private readonly watchers: TopicWatchers,
    private readonly outboxes: DiffOutboxes,
    private readonly logger: Logger,
    /** What clients see as `phx_ref`s. */
    private readonly refs: WireRefs,
    /** 0: one topic per turn. */
    private readonly sliceMs: number,
    /** The server's clock: slices are measured on it. */
    private readonly clock: Clock,
  ) {
    this.dropLog = new RateLimitedLog(logger, clock);
    this.detachChanges = changes.attach('fanOut', { changed: (change) => this.take(change) });
  }

  settle(topic: string): void {
    const parts = this.queued.get(topic);
    if (parts === undefined) return;
    this.queued.delete(topic);
    this.deliver(topic, parts);
  }

  close(): void {
    this.detachChanges();
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.queued.clear();
  }

  private take(change: RoutedChange): void {
    this.stateFragments.changed(change);
    try {
      const watchers = this.watchers;
      for (const { topic, changes } of changesByTopic(
        change.topics,
        this.refs,
        (t) => watchers.has(t),
        this.onForeignKey,
      )) {
        const parts = this.queued.get(topic);
        if (parts === undefined) this.queued.set(topic, [...changes]);
        else parts.push(...changes);
      }
      // A small change (the steady state) goes out in this very turn.
      if (this.immediate === undefined) this.work();
    } catch (err) {
      this.logger.error({ err }, 'presence fan-out failed');
    }
  }

  /** Hands queued parts to outboxes for at most `sliceMs`, then yields if any are left. */
  private readonly work = (): void => {
    this.immediate = undefined;
    const started = this.clock.now();
    let owed = 0;
    let checked = 0;
    let topics = 0;
    for (const [topic, parts] of this.queued) {
      this.queued.delete(topic);
      owed += this.deliver(topic, parts);
      topics++;
      if (this.sliceMs === 0) break;
      if (owed - checked >= OWES_PER_CHECK) {
        checked = owed;
        if (this.clock.now() - started >= this.sliceMs) break;
      }
    }
    if (this.queued.size > 0) this.immediate = setImmediate(this.work);
    const ms = this.clock.now() - started;
    if (ms >= SLOW_FAN_OUT_MS) {
      this.logger.warn({ topics, owed, ms: Math.round(ms) }, 'slow fan-out');
    }
  };

  /** Owes `parts` of `topic` to every socket watching it now; returns how many owes. */
  private deliver(topic: string, parts: readonly KeyChange[]): number {
    const sockets = this.watchers.of(topic);
    if (sockets === undefined) return 0;
    let owed = 0;
    for (const socket of sockets) {
      for (const part of parts) this.outboxes.owe(socket, part);
      owed += parts.length;
    }
    return owed;
  }
}
