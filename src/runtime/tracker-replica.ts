/**
 * The replica runtime (Phoenix's shard): drives the pure PresenceState with time and a transport.
 *
 * Each tick, in order: broadcast our delta (or an empty heartbeat after a quiet spell), ask replicas
 * whose clocks are ahead of ours for transfers, detect replicas gone silent. Every message heard
 * counts as a sign of life; a new vsn under a known name retires the old incarnation.
 *
 * Failure detection knows its own link: while our link to the transport is down we do not mark
 * others down (their silence is ours), and when it returns we restart their silence counts, say
 * we are back and ask everyone for what we missed.
 */
import { EventEmitter } from 'node:events';
import {
  type Meta,
  type MoveResult,
  type PresenceChange,
  PresenceState,
  ReplicaHealth,
  type ReplicaRef,
  type ReplicaTransition,
  replicaKey,
  type TrackResult,
  type TransferPart,
  type UpdateResult,
} from '../core/index.js';
import type { ReplicationTransport } from '../ports/bus-channel.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type {
  PresenceTracker,
  ReplicaEvent,
  ReplicaHealthView,
  TrackerEvents,
  TrackerStats,
  TrackerView,
} from '../ports/presence-tracker.js';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import type { ReplicationMessage } from '../protocol/messages.js';
import { CrashGraces } from './crash-graces.js';
import { InitialSync } from './initial-sync.js';
import { readOnlyView } from './read-only-view.js';
import {
  type ReplicaTimingOptions,
  type ResolvedTimingOptions,
  resolveTiming,
} from './replica-options.js';
import { replicableMeta } from './replicable-meta.js';
import { TransferAnswers } from './transfer-answers.js';
import { TransferRequests } from './transfer-requests.js';

export interface TrackerReplicaOptions extends ReplicaTimingOptions {
  /** This replica's name (the node name); its transport's selfId must be the same. */
  readonly name: string;
  /** This incarnation's number. @default derived from the clock and randomness */
  readonly vsn?: number;
  readonly transport: ReplicationTransport;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Random numbers in [0, 1) for the first tick's jitter. @default Math.random */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Topic prefixes whose presences and topics the state counts (see PresenceState). */
  readonly countedTopicPrefixes?: readonly string[];
}

/** A default vsn is the start time in µs plus under a millisecond of randomness. */
const VSN_PER_MS = 1000;

/** When a replica started (ms on the clock), read from a default vsn; meaningless for a given one. */
export function replicaStartedAt(ref: ReplicaRef): number {
  return Math.floor(ref.vsn / VSN_PER_MS);
}

export type { ReplicaEvent } from '../ports/presence-tracker.js';

export interface TrackerReplicaEvents {
  /** Visible presences changed (local op, merge, replica up/down). Never empty. */
  diff: [change: PresenceChange];
  replica: [event: ReplicaEvent];
  /** Our link to the transport went down or came back. */
  link: [up: boolean];
  /** Caught up with the cluster since the link came up (see InitialSync). */
  synced: [];
}

/** Counters for metrics, as the replica counts them (read as TrackerStats outside). */
type ReplicaStats = { -readonly [K in keyof TrackerStats]: TrackerStats[K] };

export class TrackerReplica
  extends EventEmitter<TrackerReplicaEvents>
  implements PresenceTracker, TrackerEvents
{
  readonly ref: ReplicaRef;
  /** What the tracker holds, read-only: the state's writes go through this replica only. */
  readonly view: TrackerView;
  /** Private to the runtime, for real (`#`): a write elsewhere would skip the diff and the checks. */
  readonly #state: PresenceState;
  /** Changed only by what this replica hears and the silence it sees; read through `health`. */
  readonly #health = new ReplicaHealth();
  /** The other replicas, read-only. */
  readonly health: ReplicaHealthView = Object.freeze({
    all: () => this.#health.all(),
    counts: () => this.#health.counts(),
  });
  readonly timing: ResolvedTimingOptions;
  /** Counted here; read-only to everyone else. */
  readonly #stats: ReplicaStats = {
    heartbeatsSent: 0,
    deltasSent: 0,
    deltasMerged: 0,
    gaps: 0,
    transferRequestsSent: 0,
    transferRequestsServed: 0,
    transferPartsReceived: 0,
    framesDropped: 0,
    framesRefused: 0,
  };
  private readonly transport: ReplicationTransport;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly requests: TransferRequests;
  private readonly answers: TransferAnswers;
  private readonly sync: InitialSync;
  private silentPeriods: number;
  private tickHandle: unknown;
  private unsubscribers: (() => void)[] = [];
  private running = false;
  private responses = 0;
  /** Down replicas in their crash grace (or releasing): crash-graces.ts. */
  private readonly crashGraces: CrashGraces;

  constructor(options: TrackerReplicaOptions) {
    super();
    this.timing = resolveTiming(options);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.transport = options.transport;
    const vsn =
      options.vsn ?? Math.floor(this.clock.now() * VSN_PER_MS + this.random() * VSN_PER_MS);
    this.ref = { name: options.name, vsn };
    this.#state = new PresenceState(this.ref, {
      maxDeltaSizes: this.timing.maxDeltaSizes,
      snapshotChunkSize: this.timing.snapshotChunkSize,
      countedTopicPrefixes: options.countedTopicPrefixes,
    });
    this.view = readOnlyView(this.#state);
    this.answers = new TransferAnswers(this.timing.transferWindowParts, (to, message) =>
      this.sendTo(to, message),
    );
    this.requests = new TransferRequests(
      this.timing.clockSamplePeriods,
      this.timing.transferTimeoutMs,
    );
    this.sync = new InitialSync(
      Math.max(3, this.timing.clockSamplePeriods + 1),
      this.timing.downPeriodMs,
    );
    this.crashGraces = new CrashGraces(this.clock, this.timers, this.logger, {
      releaseHeld: (ref, limit) => this.#state.releaseHeld(ref, limit),
      permdown: (ref) => this.#state.replicaPermdown(ref),
      report: (change) => this.report(change),
    });
    // The first tick always says hello (Phoenix starts the silence counter at its maximum).
    this.silentPeriods = this.timing.maxSilentPeriods;
  }

  /** Starts listening and ticking; the first tick is jittered by up to a quarter period. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribers = [
      this.transport.onFrame((frame, sender) => this.receive(frame, sender)),
      this.transport.onLinkChange((up) => this.linkChanged(up)),
    ];
    this.schedule(Math.floor(this.random() * this.timing.broadcastPeriodMs * 0.25));
  }

  /**
   * Stops ticking. With `announce` (a clean shutdown) first tells the cluster we leave, so our
   * entries leave everywhere at once rather than after the down period. Closing the transport is
   * its owner's job.
   */
  stop(options: { announce?: boolean } = {}): void {
    if (!this.running) return;
    if (options.announce !== false) this.send({ type: 'leave', from: this.ref });
    this.running = false;
    this.answers.clear();
    if (this.tickHandle !== undefined) this.timers.clearTimeout(this.tickHandle);
    this.tickHandle = undefined;
    this.crashGraces.clear();
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
  }

  get stats(): TrackerStats {
    return this.#stats;
  }

  startedAt(ref: ReplicaRef): number {
    return replicaStartedAt(ref);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Whether this replica has caught up with the cluster since its link last came up: every
   * replica it sees as up heartbeated a clock ours covers and no transfer is outstanding, checked
   * from the third tick with the link up (or the down period passed). See InitialSync.
   */
  get synced(): boolean {
    return this.sync.isDone;
  }

  /** The replicas (names) still ahead of ours at the last sync check, while not synced. */
  get syncingWith(): readonly string[] {
    return this.sync.behind.map(
      (key) => this.#health.all().find((r) => replicaKey(r.ref) === key)?.ref.name ?? key,
    );
  }

  // ── local operations ─────────────────────────────────────────────────────────────────────────

  /** @throws InvalidInputError when the meta is not plain JSON (it could not be replicated). */
  track(topic: string, key: string, conn: string, meta: Meta): TrackResult {
    const result = this.#state.track(topic, key, conn, replicableMeta(meta));
    if (result.ok) this.report(result.change);
    return result;
  }

  untrack(topic: string, key: string, conn: string): PresenceChange {
    return this.report(this.#state.untrack(topic, key, conn));
  }

  untrackConnection(conn: string): PresenceChange {
    return this.report(this.#state.untrackConnection(conn));
  }

  /** @throws InvalidInputError when the meta is not plain JSON (it could not be replicated). */
  update(topic: string, key: string, conn: string, meta: Meta): UpdateResult {
    const result = this.#state.update(topic, key, conn, replicableMeta(meta));
    if (result.ok) this.report(result.change);
    return result;
  }

  /**
   * Moves a presence to `toTopic` with a new meta in one operation (one diff, one delta entry).
   * @throws InvalidInputError when the meta is not plain JSON (it could not be replicated).
   */
  move(topic: string, key: string, conn: string, toTopic: string, meta: Meta): MoveResult {
    const result = this.#state.move(topic, key, conn, toTopic, replicableMeta(meta));
    if (result.ok) this.report(result.change);
    return result;
  }

  /** Runs one tick now (tests and simulations drive ticks through the Timers port instead). */
  tick(): void {
    const now = this.clock.now();
    this.broadcastDelta();
    this.requestTransfers(now);
    if (!this.transport.isLinkUp()) return;
    this.applyTransitions(
      this.#health.detectDowns(now, this.timing.downPeriodMs, this.timing.permdownPeriodMs),
    );
    this.checkSync(now);
  }

  private checkSync(now: number): void {
    if (this.sync.isDone) return;
    const outcome = this.sync.tick({
      now,
      ownClock: this.#state.clock(),
      upReplicas: this.#health
        .all()
        .filter((r) => r.status === 'up')
        .map((r) => replicaKey(r.ref)),
      isOutstanding: (replica) => this.requests.isOutstanding(replica),
    });
    if (outcome.status === 'syncing') return;
    if (outcome.status === 'gave-up') {
      this.logger.warn(
        { behind: this.syncingWith },
        'initial sync: replicas still ahead after the down period; counting the sync as done',
      );
    } else this.logger.info({}, 'initial sync done: caught up with every replica up');
    this.emit('synced');
  }

  // ── the tick's steps ─────────────────────────────────────────────────────────────────────────

  private schedule(delayMs: number): void {
    this.tickHandle = this.timers.setTimeout(() => {
      if (!this.running) return;
      try {
        this.tick();
      } catch (err) {
        this.logger.error({ err }, 'tracker tick failed');
      }
      this.schedule(this.timing.broadcastPeriodMs);
    }, delayMs);
  }

  private broadcastDelta(): void {
    const delta = this.#state.takeDelta();
    if (delta) this.#stats.deltasSent++;
    else if (this.silentPeriods < this.timing.maxSilentPeriods) {
      this.silentPeriods++;
      return;
    }
    this.silentPeriods = 0;
    this.heartbeat(delta);
  }

  private heartbeat(delta: ReturnType<PresenceState['takeDelta']>): void {
    this.#stats.heartbeatsSent++;
    this.send({ type: 'heartbeat', from: this.ref, clock: this.#state.clock(), delta });
  }

  private requestTransfers(now: number): void {
    for (const key of this.requests.sample(this.#state.self.key, this.#state.clock(), now)) {
      const record = this.#health.all().find((r) => replicaKey(r.ref) === key);
      if (record?.status !== 'up') continue;
      this.requestTransfer(record.ref, now);
    }
  }

  private requestTransfer(from: ReplicaRef, now: number): void {
    const requestId = this.requests.sent(replicaKey(from), this.#state.self.tag, now);
    this.#stats.transferRequestsSent++;
    this.sendTo(from, {
      type: 'transfer-request',
      from: this.ref,
      requestId,
      clock: this.#state.clock(),
    });
  }

  // ── receiving ────────────────────────────────────────────────────────────────────────────────

  private receive(frame: Uint8Array, sender: string): void {
    const decoded = decodeMessage(frame);
    if (!decoded.ok) {
      this.#stats.framesDropped++;
      this.logger.warn(
        { reason: decoded.reason, detail: decoded.detail, bytes: frame.length },
        'dropped a replication frame',
      );
      return;
    }
    const message = decoded.message;
    const refusal = senderProblem(message, sender);
    if (refusal !== undefined) {
      this.#stats.framesRefused++;
      this.logger.warn({ sender, from: message.from, type: message.type }, refusal);
      return;
    }
    if (message.from.name === this.ref.name) {
      if (message.from.vsn !== this.ref.vsn) {
        this.logger.warn(
          { from: message.from },
          'message from another incarnation of this node name: ignored',
        );
      }
      return;
    }
    if (message.type === 'leave') {
      this.requests.forget(replicaKey(message.from));
      this.sync.forget(replicaKey(message.from));
      // A node that said it leaves untracked what it meant to: nothing to hold.
      this.applyTransitions(this.#health.leave(message.from, this.clock.now()), false);
      return;
    }
    const heard = this.#health.heard(message.from, this.clock.now());
    if (heard.stale) {
      this.#stats.framesDropped++;
      this.logger.debug({ from: message.from }, 'message from a retired incarnation: ignored');
      return;
    }
    this.applyTransitions(heard.transitions);
    switch (message.type) {
      case 'heartbeat':
        this.requests.heardClock(replicaKey(message.from), message.clock);
        this.sync.heardClock(replicaKey(message.from), message.clock);
        if (message.delta) {
          const result = this.#state.mergeDelta(message.delta);
          if (result.status === 'gap') this.#stats.gaps++;
          else if (result.status === 'applied') this.#stats.deltasMerged++;
          this.report(result.change);
        }
        return;
      case 'transfer-request':
        this.serveTransfer(message.from, message.requestId, message.clock);
        return;
      case 'transfer-ack':
        this.answers.acknowledged(message.from, message.requestId, message.received);
        return;
      case 'transfer-part':
        this.#stats.transferPartsReceived++;
        this.requests.partReceived(
          replicaKey(message.from),
          message.requestId,
          message.total,
          this.clock.now(),
        );
        if (message.part) {
          this.mergePart(message.part);
          // Parts arrive in order from one sender: index + 1 of them are in.
          this.sendTo(message.from, {
            type: 'transfer-ack',
            from: this.ref,
            requestId: message.requestId,
            received: message.index + 1,
          });
        }
        return;
    }
  }

  /**
   * Merges one part of a transfer. A held part that taught us a down replica starts its crash
   * grace here for what is left of it at the sender, so it ends when it ends there.
   */
  private mergePart(part: TransferPart): void {
    if (part.kind === 'held' && this.timing.crashGraceMs === 0) return;
    const result = this.#state.mergeTransfer(part);
    if (part.kind === 'held' && result.status === 'applied') {
      this.crashGraces.startLearned(part.replica, part.graceLeftMs);
      this.logger.info(
        { replica: part.replica, graceLeftMs: part.graceLeftMs },
        'holding the entries of a replica down before we started, for the rest of its crash grace',
      );
    }
    this.report(result.change);
  }

  private serveTransfer(
    requester: ReplicaRef,
    requestId: string,
    clock: ReadonlyMap<string, number>,
  ): void {
    this.#stats.transferRequestsServed++;
    const graceLeft = this.crashGraces.left(this.clock.now());
    const parts: TransferPart[] = this.#state.extract(
      requester,
      clock,
      `${this.#state.self.tag}.${++this.responses}`,
      graceLeft,
    );
    const total = parts.length;
    if (total === 0) {
      this.sendTo(requester, {
        type: 'transfer-part',
        from: this.ref,
        requestId,
        index: 0,
        total: 0,
        part: undefined,
      });
      return;
    }
    this.answers.start(requester, requestId, parts, this.ref);
  }

  private linkChanged(up: boolean): void {
    this.emit('link', up);
    this.sync.restart(up ? this.clock.now() : undefined);
    if (!up) {
      this.logger.warn({}, 'replication link down: failure detection suspended');
      this.requests.reset();
      return;
    }
    const now = this.clock.now();
    this.logger.info({}, 'replication link up: re-syncing');
    this.#health.restartSilence(now);
    this.heartbeat(this.#state.takeDelta());
    this.silentPeriods = 0;
    for (const record of this.#health.all()) {
      if (record.status === 'up') this.requestTransfer(record.ref, now);
    }
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Applies replica transitions. A down starts the replica's crash grace (`hold`, unless it
   * announced its leave): its presences with a lineage stay visible until it ends; a permdown in
   * the grace (the node restarted: a new incarnation retired the old one) waits for its end.
   */
  private applyTransitions(transitions: readonly ReplicaTransition[], hold = true): void {
    for (const transition of transitions) {
      const key = replicaKey(transition.ref);
      let change: PresenceChange;
      if (transition.type === 'up') {
        this.crashGraces.end(key);
        change = this.#state.replicaUp(transition.ref);
      } else if (transition.type === 'down') {
        change = this.#state.replicaDown(transition.ref);
        if (hold && this.timing.crashGraceMs > 0) {
          this.crashGraces.start(transition.ref, this.timing.crashGraceMs);
        } else {
          const released = this.#state.releaseHeld(transition.ref, Number.POSITIVE_INFINITY);
          change = {
            joins: [...change.joins, ...released.change.joins],
            leaves: [...change.leaves, ...released.change.leaves],
          };
        }
      } else if (this.crashGraces.has(key) && this.#state.heldCount(transition.ref) > 0) {
        this.crashGraces.retireAfter(transition.ref);
        change = { joins: [], leaves: [] };
      } else {
        this.crashGraces.end(key);
        change = this.#state.replicaPermdown(transition.ref);
      }
      if (transition.type !== 'up') {
        this.requests.forget(replicaKey(transition.ref));
        this.sync.forget(replicaKey(transition.ref));
        this.answers.forget(transition.ref);
      } else {
        // A newcomer learns our clock from our heartbeats: send one at the next tick, not after a
        // quiet spell of up to maxSilentPeriods.
        this.silentPeriods = this.timing.maxSilentPeriods;
      }
      this.logger.info({ replica: transition.ref }, `replica ${transition.type}`);
      this.emit('replica', { type: transition.type, ref: transition.ref });
      this.report(change);
    }
  }

  private report(change: PresenceChange): PresenceChange {
    if (change.joins.length > 0 || change.leaves.length > 0) this.emit('diff', change);
    return change;
  }

  private send(message: ReplicationMessage): void {
    this.transport.broadcast(encodeMessage(message));
  }

  private sendTo(to: ReplicaRef, message: ReplicationMessage): void {
    this.transport.sendTo(to.name, encodeMessage(message));
  }
}

/**
 * Why a message cannot have come from `sender`, the node the transport says sent it: every message
 * speaks for its `from` replica, which must be the sender, and a heartbeat's delta is its sender's
 * own window (only the owner writes its entries). A transfer part legitimately carries other
 * replicas' windows and snapshots (what the requester lacks of every replica it knows), so only its
 * `from` is checked: with a cluster secret only cluster members can send one.
 */
function senderProblem(message: ReplicationMessage, sender: string): string | undefined {
  if (message.from.name !== sender) {
    return 'refused a replication message whose replica is not its sender';
  }
  if (message.type === 'heartbeat' && message.delta) {
    const { replica } = message.delta;
    if (replica.name !== message.from.name || replica.vsn !== message.from.vsn) {
      return "refused a heartbeat whose delta is not its sender's own";
    }
  }
  return undefined;
}
