/**
 * In-process replication bus: every transport created from one bus can reach the others.
 *
 * Used by tests, simulations and the single-node default. It behaves like Redis pub/sub where it
 * matters to the tracker: delivery is asynchronous, in order per sender → receiver pair, at most
 * once, and never to or from a member whose link is down. Test hooks take a member's link down
 * and up, as a Redis outage would.
 */

import { InvalidOptionError } from '../errors.js';
import type {
  BusChannel,
  FrameHandler,
  LinkChangeHandler,
  TransportStats,
} from '../ports/bus-channel.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { NodeBus } from '../ports/node-bus.js';
import type { BusWire } from './bus-wire.js';
import { type ClusterSecretOptions, resolveClusterSecrets } from './cluster-secret.js';
import { HandlerRegistry } from './handler-registry.js';
import { createNodeBusOverWire } from './node-bus-core.js';
import { assertValidReplicaId } from './replica-id.js';
import { transportClosedError } from './transport-closed-error.js';
import { TransportCounters } from './transport-counters.js';

export interface InMemoryBusOptions {
  /**
   * Defers one delivery. FIFO scheduling keeps per-pair order.
   * Pass `queueMicrotask` when the test fakes timers (vitest fakes setImmediate).
   * @default setImmediate
   */
  schedule?: (deliver: () => void) => void;
  /** @default silentLogger */
  logger?: Logger;
}

export interface InMemoryBus {
  /**
   * Joins the bus as `id`. The link starts up unless setLinkUp(id, false) was called for this id.
   * @throws InvalidOptionError when `id` is invalid or an open transport already uses it.
   */
  createTransport(id: string): BusChannel;
  /**
   * Joins the bus as a node bus named `id` (its typed channels share one member of the bus), with
   * the envelope, MACs and replay check of the Redis bus: what one node runs without Redis, and
   * what tests of the bus itself use. Same errors as createTransport, and a short cluster secret.
   */
  createNodeBus(id: string, options?: InMemoryNodeBusOptions): NodeBus;
  /**
   * Test hook: takes the link of `id` down (it sends and receives nothing) or back up. Open
   * transports with this id get a link event on a change; the state also applies to a transport
   * created later with this id, as for a node restarted during an outage.
   */
  setLinkUp(id: string, up: boolean): void;
  /** Ids of the open transports, in joining order. */
  memberIds(): string[];
}

export interface InMemoryNodeBusOptions extends ClusterSecretOptions {
  /** This bus instance's incarnation. @default newIncarnation() */
  readonly incarnation?: bigint;
  /** How far a frame's send time may be from this node's clock (frame-freshness.ts). @default 60000 */
  readonly replayWindowMs?: number;
}

export function createInMemoryBus(options: InMemoryBusOptions = {}): InMemoryBus {
  return new Bus(options.schedule ?? defaultSchedule, options.logger ?? silentLogger);
}

function defaultSchedule(deliver: () => void): void {
  setImmediate(deliver);
}

class Bus implements InMemoryBus {
  private readonly members = new Map<string, InMemoryTransport>();
  private readonly linkDownIds = new Set<string>();

  constructor(
    readonly schedule: (deliver: () => void) => void,
    private readonly logger: Logger,
  ) {}

  createTransport(id: string): BusChannel {
    assertValidReplicaId(id, 'createInMemoryBus().createTransport');
    if (this.members.has(id)) {
      throw new InvalidOptionError(
        `createInMemoryBus().createTransport: "${id}" is already on this bus; close it first or pick another id.`,
      );
    }
    const transport = new InMemoryTransport(id, this, this.logger, !this.linkDownIds.has(id));
    this.members.set(id, transport);
    return transport;
  }

  createNodeBus(id: string, options: InMemoryNodeBusOptions = {}): NodeBus {
    const secrets = resolveClusterSecrets(options, 'createInMemoryBus().createNodeBus');
    const member = this.createTransport(id);
    return createNodeBusOverWire({
      selfId: id,
      wire: transportWire(member),
      secrets,
      logger: this.logger,
      incarnation: options.incarnation,
      replayWindowMs: options.replayWindowMs,
    });
  }

  setLinkUp(id: string, up: boolean): void {
    if (up) this.linkDownIds.delete(id);
    else this.linkDownIds.add(id);
    this.members.get(id)?.setLinkUp(up);
  }

  memberIds(): string[] {
    return [...this.members.keys()];
  }

  /** Receivers of a frame from `sender`: all others for a broadcast, one id for a direct send. */
  receivers(sender: InMemoryTransport, target: string | null): InMemoryTransport[] {
    if (target !== null) {
      const member = this.members.get(target);
      return member ? [member] : [];
    }
    return [...this.members.values()].filter((member) => member !== sender);
  }

  leave(member: InMemoryTransport): void {
    if (this.members.get(member.selfId) === member) this.members.delete(member.selfId);
  }
}

/** A member of the in-memory bus as the wire of a node bus. */
function transportWire(member: BusChannel): BusWire {
  return {
    publish(target, envelope) {
      if (target === undefined) member.broadcast(envelope);
      else member.sendTo(target, envelope);
    },
    onEnvelope(receive) {
      member.onFrame((envelope) => receive(envelope));
    },
    onLinkChange(listener) {
      member.onLinkChange(listener);
    },
    isLinkUp: () => member.isLinkUp(),
    close: () => member.close(),
  };
}

class InMemoryTransport implements BusChannel {
  private readonly counters = new TransportCounters();
  private readonly frameHandlers: HandlerRegistry<[Uint8Array, string]>;
  private readonly linkHandlers: HandlerRegistry<[boolean]>;
  private closed = false;

  constructor(
    readonly selfId: string,
    private readonly bus: Bus,
    logger: Logger,
    private linkUp: boolean,
  ) {
    const countError = () => {
      this.counters.handlerErrors += 1;
    };
    this.frameHandlers = new HandlerRegistry('frame', logger, countError);
    this.linkHandlers = new HandlerRegistry('link-change', logger, countError);
  }

  broadcast(frame: Uint8Array): void {
    this.send(null, frame, 'broadcast');
  }

  sendTo(replicaId: string, frame: Uint8Array): void {
    this.send(replicaId, frame, 'sendTo');
  }

  onFrame(handler: FrameHandler): () => void {
    return this.frameHandlers.add(handler);
  }

  onLinkChange(handler: LinkChangeHandler): () => void {
    return this.linkHandlers.add(handler);
  }

  isLinkUp(): boolean {
    return !this.closed && this.linkUp;
  }

  stats(): TransportStats {
    return this.counters.snapshot();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.frameHandlers.clear();
      this.linkHandlers.clear();
      this.bus.leave(this);
    }
    return Promise.resolve();
  }

  setLinkUp(up: boolean): void {
    if (this.closed || this.linkUp === up) return;
    this.linkUp = up;
    this.linkHandlers.dispatch(up);
  }

  private send(target: string | null, frame: Uint8Array, operation: string): void {
    if (this.closed) throw transportClosedError(this.selfId, operation);
    if (!this.linkUp) {
      this.counters.framesDroppedLinkDown += 1;
      return;
    }
    this.counters.framesSent += 1;
    for (const receiver of this.bus.receivers(this, target)) {
      // A receiver that is offline now misses the frame even if it is back before delivery.
      if (!receiver.acceptsFrame()) continue;
      // Copied now, as a network would: the sender may reuse its buffer right after the call.
      const copy = frame.slice();
      this.bus.schedule(() => receiver.receive(copy, this.selfId));
    }
  }

  /** Whether a frame arriving now is delivered; counts it as dropped when the link is down. */
  private acceptsFrame(): boolean {
    if (this.closed) return false;
    if (!this.linkUp) this.counters.framesDroppedLinkDown += 1;
    return this.linkUp;
  }

  private receive(frame: Uint8Array, sender: string): void {
    if (!this.acceptsFrame()) return;
    this.counters.framesReceived += 1;
    this.frameHandlers.dispatch(frame, sender);
  }
}
