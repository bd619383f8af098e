/**
 * Reliable delivery to a user (PROTOCOL.md, "Delivery to a user"). One Deliverer per node plays
 * both roles over the node bus's `delivery` channel, and this file only joins them: the origin's
 * pending-delivery state machine (delivery-origin.ts) and the receiving side that emits to this
 * node's sockets and answers (delivery-receiver.ts). Here: the subscriptions (tracker changes, as
 * the change router's `delivery` consumer, for the origin's join retries; frames from the
 * channel), the check that a frame speaks for its
 * sender, and shutdown.
 *
 * Never delivered without an ack, never dropped: every call resolves, delivered or handed to the
 * fallback (whose failure is reported), close() included. Retries reuse the message id; clients
 * show an id once and ack it again. The happy path costs a presence read, one frame each way per
 * hosting node and nothing per other node.
 */
import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { PresenceSocket } from '../domain/presence-socket.js';
import type { BusChannel } from '../ports/bus-channel.js';
import type { Clock, Timers } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { decodeDeliveryFrame } from './delivery-frames.js';
import { DeliveryOrigin, type OriginStats, type SettledListener } from './delivery-origin.js';
import { DeliveryReceiver } from './delivery-receiver.js';
import type { DeliverOptions, DeliveryResult, DeliveryServerOptions } from './delivery-types.js';
import { FrameSender } from './frame-sender.js';

export type { SettledListener } from './delivery-origin.js';

export interface DelivererOptions extends DeliveryServerOptions {
  /** This node's replica: presence says where users are; its name is this node's. */
  readonly replica: PresenceTracker;
  /** Where the origin follows joins (the change router's `delivery` slot). */
  readonly changes: ChangeRoutes;
  /** This node's open sockets of a user. */
  readonly localSockets: (userId: string) => readonly PresenceSocket[];
  /**
   * The delivery channel between nodes (`bus.channel('delivery')`, never the tracker's), whose
   * selfId is this node's name. A frame naming a node other than its sender (a deliver's origin,
   * an answer's node) is dropped. Omitted: this node is alone, deliveries stay local.
   */
  readonly transport?: BusChannel;
  readonly logger?: Logger;
  /** The server's clock. @default the system's */
  readonly clock?: (Clock & Timers) | undefined;
}

export interface DeliveryStats extends OriginStats {
  /** Delivery frames dropped as undecodable. */
  readonly framesDropped: number;
}

export class Deliverer {
  private readonly origin: DeliveryOrigin;
  private readonly receiver: DeliveryReceiver;
  private readonly detach: (() => void)[] = [];
  private readonly logger: Logger;
  private framesDropped = 0;
  private closing: Promise<void> | undefined;

  constructor(options: DelivererOptions) {
    const { replica, transport, localSockets } = options;
    this.logger = options.logger ?? silentLogger;
    const sender = new FrameSender(transport, this.logger);
    this.origin = new DeliveryOrigin({
      replica,
      localSockets,
      sender,
      onUndelivered: options.onUndelivered,
      timeoutMs: options.timeoutMs,
      logger: this.logger,
      clock: options.clock,
    });
    this.receiver = new DeliveryReceiver({
      name: replica.ref.name,
      localSockets,
      sender,
      dropFrame: (reason, bytes) => this.dropFrame(reason, bytes),
    });
    this.detach.push(
      options.changes.attach('delivery', { changed: (change) => this.origin.joined(change) }),
    );
    if (transport) this.detach.push(transport.onFrame((frame, from) => this.receive(frame, from)));
  }

  /**
   * Sends `event` with `payload` to every live connection of `userId` in the cluster. Resolves
   * `{ delivered: true, connections }` on a client ack, else (after `timeoutMs`) hands the
   * message to the fallback hook and resolves `{ delivered: false, fallback, reason }`.
   * @throws InvalidDeliveryError (rejects) on a malformed argument: nothing is sent then.
   */
  deliver(
    userId: string,
    event: string,
    payload?: unknown,
    options?: DeliverOptions,
  ): Promise<DeliveryResult> {
    return this.origin.deliver(userId, event, payload, options);
  }

  /** Adds a listener of settled deliveries; returns its remover. */
  onSettled(listener: SettledListener): () => void {
    return this.origin.onSettled(listener);
  }

  stats(): DeliveryStats {
    return { ...this.origin.stats(), framesDropped: this.framesDropped };
  }

  /**
   * Stops: pending deliveries resolve undelivered (`reason: 'closed'`) through the fallback hook,
   * and so do later calls. Resolves once those hooks settled. The transport is its owner's.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const stop of this.detach.splice(0)) stop();
      this.receiver.close();
      await this.origin.close();
    })();
    return this.closing;
  }

  /** A frame from the delivery channel: an answer for the origin, a deliver for the receiver. */
  private receive(bytes: Uint8Array, sender: string): void {
    const frame = decodeDeliveryFrame(bytes);
    if (typeof frame === 'string') {
      this.dropFrame(frame, bytes.byteLength);
      return;
    }
    // A frame speaks for the node that sent it: its origin (deliver) or answering node (answer).
    if ((frame.kind === 'answer' ? frame.node : frame.origin) !== sender) {
      this.dropFrame(
        `${frame.kind} frame names a node other than its sender "${sender}"`,
        bytes.byteLength,
      );
      return;
    }
    if (frame.kind === 'answer') this.origin.answered(frame.id, frame.node, frame.acked);
    else this.receiver.receive(frame);
  }

  private dropFrame(reason: string, bytes: number): void {
    this.framesDropped++;
    this.logger.warn({ reason, bytes }, 'delivery: dropped a bad frame');
  }
}
