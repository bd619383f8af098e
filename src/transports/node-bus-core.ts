/**
 * The node bus over any wire (Redis, in memory): typed channels, one link state, and the envelope
 * with its MAC, freshness and replay checks. What reaches a channel's handlers came from an
 * authenticated sender (with a cluster secret), was addressed to this node, was sent after this
 * bus started and within the replay window (frame-freshness.ts), and was not seen before.
 */

import type {
  BusChannel,
  FrameHandler,
  LinkChangeHandler,
  TransportStats,
} from '../ports/bus-channel.js';
import { systemWallClock } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import {
  BUS_CHANNEL_KINDS,
  type BusChannelKind,
  type NodeBus,
  type NodeBusStats,
} from '../ports/node-bus.js';
import { RateLimitedLog } from '../ports/rate-limited-log.js';
import { decodeEnvelope, encodeEnvelope, hasValidMac } from './bus-envelope.js';
import type { BusWire } from './bus-wire.js';
import type { ResolvedSecrets } from './cluster-secret.js';
import { DEFAULT_REPLAY_WINDOW_MS, frameFreshness } from './frame-freshness.js';
import { HandlerRegistry } from './handler-registry.js';
import { newIncarnation } from './incarnation.js';
import { ReplayGuard } from './replay-guard.js';
import { transportClosedError } from './transport-closed-error.js';
import { TransportCounters } from './transport-counters.js';

export interface NodeBusCoreOptions {
  readonly selfId: string;
  readonly wire: BusWire;
  readonly secrets: ResolvedSecrets;
  readonly logger?: Logger;
  /** @default newIncarnation() */
  readonly incarnation?: bigint;
  /** How far a frame's send time may be from this node's clock (frame-freshness.ts). @default 60000 */
  readonly replayWindowMs?: number;
  /** The clock of send times and the freshness check. @default Date.now */
  readonly now?: () => number;
}

export function createNodeBusOverWire(options: NodeBusCoreOptions): NodeBus {
  return new NodeBusCore(options);
}

class NodeBusCore implements NodeBus {
  readonly selfId: string;
  readonly authenticated: boolean;
  private readonly wire: BusWire;
  private readonly secrets: ResolvedSecrets;
  private readonly logger: Logger;
  private readonly dropLog: RateLimitedLog;
  private readonly incarnation: bigint;
  private readonly now: () => number;
  /** Frames sent before this are refused: nothing recorded before a restart is accepted after. */
  private readonly startedAtMs: number;
  private readonly replayWindowMs: number;
  private readonly replays = new ReplayGuard();
  private readonly channels = new Map<BusChannelKind, NodeBusChannel>();
  private readonly linkHandlers: HandlerRegistry<[boolean]>;
  private readonly own = { malformed: 0, unauthenticated: 0, replayed: 0, handlerErrors: 0 };
  /** One counter for broadcast and direct frames: the receivers' replay check relies on it. */
  private seq = 0n;
  private closing: Promise<void> | undefined;

  constructor(options: NodeBusCoreOptions) {
    this.selfId = options.selfId;
    this.wire = options.wire;
    this.secrets = options.secrets;
    this.authenticated = options.secrets.signing !== undefined;
    this.logger = options.logger ?? silentLogger;
    this.dropLog = new RateLimitedLog(this.logger);
    this.now = options.now ?? systemWallClock.now;
    this.startedAtMs = Math.floor(this.now());
    this.replayWindowMs = options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    this.incarnation = options.incarnation ?? newIncarnation(this.startedAtMs);
    this.linkHandlers = new HandlerRegistry('link-change', this.logger, () => {
      this.own.handlerErrors += 1;
    });
    for (const kind of BUS_CHANNEL_KINDS) {
      this.channels.set(kind, new NodeBusChannel(kind, this, this.logger));
    }
    this.wire.onEnvelope((envelope) => this.receive(envelope));
    this.wire.onLinkChange((up) => this.linkChanged(up));
  }

  channel(kind: BusChannelKind): BusChannel {
    const channel = this.channels.get(kind);
    if (channel === undefined) throw new RangeError(`NodeBus.channel: unknown kind "${kind}"`);
    return channel;
  }

  onLinkChange(handler: LinkChangeHandler): () => void {
    return this.linkHandlers.add(handler);
  }

  isLinkUp(): boolean {
    return !this.closing && this.wire.isLinkUp();
  }

  stats(): NodeBusStats {
    const total = {
      framesSent: 0,
      framesReceived: 0,
      framesDroppedLinkDown: 0,
      framesDroppedMalformed: this.own.malformed,
      handlerErrors: this.own.handlerErrors,
    };
    for (const channel of this.channels.values()) {
      const stats = channel.stats();
      total.framesSent += stats.framesSent;
      total.framesReceived += stats.framesReceived;
      total.framesDroppedLinkDown += stats.framesDroppedLinkDown;
      total.framesDroppedMalformed += stats.framesDroppedMalformed;
      total.handlerErrors += stats.handlerErrors;
    }
    return {
      ...total,
      framesDroppedUnauthenticated: this.own.unauthenticated,
      framesDroppedReplayed: this.own.replayed,
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const channel of this.channels.values()) await channel.close();
      this.linkHandlers.clear();
      await this.wire.close();
    })();
    return this.closing;
  }

  /** Sends for a channel; counts on the channel's counters. */
  send(
    kind: BusChannelKind,
    target: string | undefined,
    frame: Uint8Array,
    counters: TransportCounters,
  ): void {
    if (!this.isLinkUp()) {
      counters.framesDroppedLinkDown += 1;
      return;
    }
    this.seq += 1n;
    const envelope = encodeEnvelope(
      {
        kind,
        sender: this.selfId,
        target,
        incarnation: this.incarnation,
        seq: this.seq,
        // Never before our own start: a receiver started with us must not take it for a replay.
        sentAtMs: Math.max(this.startedAtMs, Math.floor(this.now())),
      },
      frame,
      this.secrets.signing,
    );
    counters.framesSent += 1;
    this.wire.publish(target, envelope, () => {
      counters.framesDroppedLinkDown += 1;
    });
  }

  private receive(bytes: Uint8Array): void {
    if (this.closing) return;
    const envelope = decodeEnvelope(bytes);
    if (!envelope.ok) {
      this.own.malformed += 1;
      this.dropLog.warn(
        envelope.reason,
        { bytes: bytes.byteLength },
        'node bus: dropped a frame without a valid envelope',
      );
      return;
    }
    const { sender, target } = envelope;
    // A broadcast echoed by Redis to its publisher, or a frame for another node.
    if (target === undefined ? sender === this.selfId : target !== this.selfId) return;
    if (this.authenticated && !hasValidMac(envelope, this.secrets.accepted)) {
      this.own.unauthenticated += 1;
      this.dropLog.warn(
        envelope.mac.byteLength === 0 ? 'missing-mac' : 'bad-mac',
        { sender, kind: envelope.kind },
        'node bus: dropped a frame without a valid MAC (no cluster secret, or another one)',
      );
      return;
    }
    const freshness = frameFreshness(
      envelope.sentAtMs,
      this.now(),
      this.startedAtMs,
      this.replayWindowMs,
    );
    if (freshness !== 'fresh') {
      // Counted with the replays: a recording, or a sender whose clock is off by more than the window.
      this.own.replayed += 1;
      this.dropLog.warn(
        freshness,
        { sender, kind: envelope.kind, sentAtMs: envelope.sentAtMs },
        'node bus: dropped a frame sent before this node started or outside the replay window (a replay, or clocks out of sync)',
      );
      return;
    }
    if (!this.replays.accept(sender, envelope.incarnation, envelope.seq)) {
      this.own.replayed += 1;
      this.dropLog.warn(
        'replayed',
        { sender, kind: envelope.kind },
        'node bus: dropped a replayed frame',
      );
      return;
    }
    this.channels.get(envelope.kind)?.receive(envelope.frame, sender, this.wire.isLinkUp());
  }

  private linkChanged(up: boolean): void {
    if (this.closing) return;
    this.logger.info({ selfId: this.selfId, linkUp: up }, `node bus: link ${up ? 'up' : 'down'}`);
    this.linkHandlers.dispatch(up);
    for (const channel of this.channels.values()) channel.linkChanged(up);
  }
}

/** One kind's view of the bus: a BusChannel whose close() detaches only itself. */
class NodeBusChannel implements BusChannel {
  readonly selfId: string;
  private readonly counters = new TransportCounters();
  private readonly frameHandlers: HandlerRegistry<[Uint8Array, string]>;
  private readonly linkHandlers: HandlerRegistry<[boolean]>;
  private closed = false;

  constructor(
    private readonly kind: BusChannelKind,
    private readonly bus: NodeBusCore,
    logger: Logger,
  ) {
    this.selfId = bus.selfId;
    const countError = () => {
      this.counters.handlerErrors += 1;
    };
    this.frameHandlers = new HandlerRegistry(`${kind} frame`, logger, countError);
    this.linkHandlers = new HandlerRegistry(`${kind} link-change`, logger, countError);
  }

  broadcast(frame: Uint8Array): void {
    if (this.closed) throw transportClosedError(this.selfId, 'broadcast');
    this.bus.send(this.kind, undefined, frame, this.counters);
  }

  sendTo(replicaId: string, frame: Uint8Array): void {
    if (this.closed) throw transportClosedError(this.selfId, 'sendTo');
    this.bus.send(this.kind, replicaId, frame, this.counters);
  }

  onFrame(handler: FrameHandler): () => void {
    return this.frameHandlers.add(handler);
  }

  onLinkChange(handler: LinkChangeHandler): () => void {
    return this.linkHandlers.add(handler);
  }

  isLinkUp(): boolean {
    return !this.closed && this.bus.isLinkUp();
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  close(): Promise<void> {
    this.closed = true;
    this.frameHandlers.clear();
    this.linkHandlers.clear();
    return Promise.resolve();
  }

  receive(frame: Uint8Array, sender: string, linkUp: boolean): void {
    if (this.closed) return;
    if (!linkUp) {
      this.counters.framesDroppedLinkDown += 1;
      return;
    }
    this.counters.framesReceived += 1;
    this.frameHandlers.dispatch(frame, sender);
  }

  linkChanged(up: boolean): void {
    if (!this.closed) this.linkHandlers.dispatch(up);
  }
}
