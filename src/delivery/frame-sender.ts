/**
 * The delivery channel's two sends, shared by the origin and the receiving side. A closed
 * transport throws; a frame that cannot be sent is logged and the delivery simply gets no answer
 * (the origin's timer decides), so neither side needs its own try/catch.
 */

import type { BusChannel } from '../ports/bus-channel.js';
import type { Logger } from '../ports/logger.js';

export class FrameSender {
  constructor(
    private readonly transport: BusChannel | undefined,
    private readonly logger: Logger,
  ) {}

  /** False on a node alone (no delivery channel): callers skip encoding frames nobody reads. */
  get connected(): boolean {
    return this.transport !== undefined;
  }

  sendTo(node: string, frame: Uint8Array): void {
    const { transport } = this;
    if (transport) this.guarded(() => transport.sendTo(node, frame));
  }

  broadcast(frame: Uint8Array): void {
    const { transport } = this;
    if (transport) this.guarded(() => transport.broadcast(frame));
  }

  private guarded(send: () => void): void {
    try {
      send();
    } catch (err) {
      this.logger.warn({ err }, 'delivery: a frame could not be sent');
    }
  }
}
