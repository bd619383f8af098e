/**
 * The receiving side of delivery (docs/cluster-wire-format.md, "Delivery frames"): a node that got a deliver
 * frame emits the message to its own sockets of the user, each with a socket.io ack,
 * and answers the origin with how many acked. It keeps no state per message: retries, timeouts
 * and the fallback are the origin's (delivery-origin.ts), so a receiver that dies loses nothing.
 */
import type { PresenceSocket } from '../domain/presence-socket.js';
import { type DeliverFrame, encodeDeliveryFrame, FLAG_ALL, FLAG_QUIET } from './delivery-frames.js';
import { MAX_DELIVERY_TIMEOUT_MS } from './delivery-input.js';
import type { FrameSender } from './frame-sender.js';
import { emitToSockets } from './local-emit.js';

export interface DeliveryReceiverOptions {
  /** This node's name: answers carry it. */
  readonly name: string;
  readonly localSockets: (userId: string) => readonly PresenceSocket[];
  readonly sender: FrameSender;
  /** Called for a frame that decoded but carries a payload that is not JSON. */
  readonly dropFrame: (reason: string, bytes: number) => void;
}

export class DeliveryReceiver {
  private closed = false;

  constructor(private readonly options: DeliveryReceiverOptions) {}

  /** Emits `frame` to this node's sockets of its user and answers its origin. */
  receive(frame: DeliverFrame): void {
    if (this.closed) return;
    const { localSockets, sender, name } = this.options;
    const sockets = localSockets(frame.userId);
    // Quiet (a broadcast with ack 'first'): nodes without a socket of the user stay silent.
    if (sockets.length === 0 && (frame.flags & FLAG_QUIET) !== 0) return;
    let payload: unknown;
    try {
      payload = JSON.parse(frame.payloadJson);
    } catch {
      this.options.dropFrame('payload is not JSON', frame.payloadJson.length);
      return;
    }
    const ackTimeoutMs = Math.min(Math.max(frame.ackTimeoutMs, 1), MAX_DELIVERY_TIMEOUT_MS);
    const { id, origin } = frame;
    emitToSockets(
      sockets,
      { id, event: frame.event, payload },
      (frame.flags & FLAG_ALL) !== 0,
      ackTimeoutMs,
      (count, acked) => {
        const answer = encodeDeliveryFrame({
          kind: 'answer',
          id,
          node: name,
          sockets: count,
          acked,
        });
        sender.sendTo(origin, answer);
      },
    );
  }

  /** Later frames are ignored: the node is shutting down. */
  close(): void {
    this.closed = true;
  }
}
