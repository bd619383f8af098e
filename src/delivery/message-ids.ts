/**
 * Message ids: a random prefix per process and a counter. The prefix is random rather than the
 * node name so a restarted node (same name, counter back at 0) never repeats an id a client still
 * remembers: a repeated id would be dropped by the client as a duplicate, a lost message.
 */
import { randomBytes } from 'node:crypto';

export class MessageIds {
  private readonly prefix = randomBytes(9).toString('base64url');
  private counter = 0;

  next(): string {
    this.counter++;
    return `${this.prefix}.${this.counter.toString(36)}`;
  }
}
