/**
 * A simulated world for replicas: one fake clock driving both timers and message delivery, and a
 * network whose faults come from a seeded random source (drop, delay, reorder, duplicate,
 * partition). Everything happens in `advance()`, in time order, so a run replays from its seed.
 */
import type {
  FrameHandler,
  LinkChangeHandler,
  ReplicationTransport,
  TransportStats,
} from '../../src/ports/bus-channel.js';
import { ManualClock } from '../support/manual-clock.js';

/** The world's clock: timers and message delivery both run in `advance()`, in time order. */
export class SimWorld extends ManualClock {}

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** Delivery delay in ms is uniform in [0, maxDelayMs]: frames overtake each other. */
  maxDelayMs: number;
}

export const CALM: NetworkFaults = { dropRate: 0, duplicateRate: 0, maxDelayMs: 5 };

class SimTransport implements ReplicationTransport {
  readonly frameHandlers = new Set<FrameHandler>();
  readonly linkHandlers = new Set<LinkChangeHandler>();
  linkUp = true;
  closed = false;
  private sent = 0;
  private received = 0;

  constructor(
    readonly selfId: string,
    private readonly network: SimNetwork,
  ) {}

  broadcast(frame: Uint8Array): void {
    this.sent++;
    this.network.route(this, undefined, frame);
  }

  sendTo(replicaId: string, frame: Uint8Array): void {
    this.sent++;
    this.network.route(this, replicaId, frame);
  }

  onFrame(handler: FrameHandler): () => void {
    this.frameHandlers.add(handler);
    return () => this.frameHandlers.delete(handler);
  }

  onLinkChange(handler: LinkChangeHandler): () => void {
    this.linkHandlers.add(handler);
    return () => this.linkHandlers.delete(handler);
  }

  isLinkUp(): boolean {
    return this.linkUp && !this.closed;
  }

  deliver(frame: Uint8Array, sender: string): void {
    if (!this.isLinkUp()) return;
    this.received++;
    for (const handler of this.frameHandlers) handler(frame, sender);
  }

  setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    for (const handler of this.linkHandlers) handler(up);
  }

  stats(): TransportStats {
    return {
      framesSent: this.sent,
      framesReceived: this.received,
      framesDroppedLinkDown: 0,
      framesDroppedMalformed: 0,
      handlerErrors: 0,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class SimNetwork {
  faults: NetworkFaults = CALM;
  private readonly members = new Map<string, SimTransport>();
  /** Pairs "a|b" that cannot reach each other. */
  private readonly cut = new Set<string>();

  constructor(
    private readonly world: SimWorld,
    private readonly random: () => number,
  ) {}

  join(id: string): ReplicationTransport & { setLink(up: boolean): void } {
    const transport = new SimTransport(id, this);
    this.members.set(id, transport);
    return transport;
  }

  leave(id: string): void {
    const member = this.members.get(id);
    if (member) member.closed = true;
    this.members.delete(id);
  }

  partition(a: string, b: string): void {
    this.cut.add(`${a}|${b}`).add(`${b}|${a}`);
  }

  healPartitions(): void {
    this.cut.clear();
  }

  route(from: SimTransport, to: string | undefined, frame: Uint8Array): void {
    if (!from.isLinkUp()) return;
    const copy = frame.slice();
    for (const [id, member] of this.members) {
      if (member === from || (to !== undefined && id !== to)) continue;
      if (this.cut.has(`${from.selfId}|${id}`)) continue;
      if (this.random() < this.faults.dropRate) continue;
      const copies = this.random() < this.faults.duplicateRate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const delay = Math.floor(this.random() * (this.faults.maxDelayMs + 1));
        this.world.setTimeout(() => member.deliver(copy, from.selfId), delay);
      }
    }
  }
}
