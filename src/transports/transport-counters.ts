/**
 * The mutable counters behind BusChannel.stats(), shared by the adapters.
 */

import type { TransportStats } from '../ports/bus-channel.js';

export class TransportCounters {
  framesSent = 0;
  framesReceived = 0;
  framesDroppedLinkDown = 0;
  framesDroppedMalformed = 0;
  handlerErrors = 0;

  snapshot(): TransportStats {
    return {
      framesSent: this.framesSent,
      framesReceived: this.framesReceived,
      framesDroppedLinkDown: this.framesDroppedLinkDown,
      framesDroppedMalformed: this.framesDroppedMalformed,
      handlerErrors: this.handlerErrors,
    };
  }
}
