/**
 * Messages the server delivers to this user (`presence_message`, from the server's `deliver`).
 * Each is shown once and acked after the listeners ran. A retry of a message already shown
 * (same id: the server tried again because an ack was late) is acked again but not shown; the
 * ids of the last `memory` messages are remembered. With no listener the message is neither
 * shown nor acked, so the server falls back (e.g. a push notification) instead of counting an
 * unread message as delivered.
 */
import type { PresenceMessage } from '../domain/client-protocol.js';
import { RecentIds } from './recent-ids.js';

/** How many message ids a client remembers to drop retries. */
export const DEFAULT_MESSAGE_MEMORY = 1_000;

export interface IncomingMessageSink {
  /** Listeners of `message` exist. */
  readonly listening: () => boolean;
  /** Runs the listeners (their errors are the sink's to report, never thrown here). */
  readonly show: (message: PresenceMessage) => void;
  readonly badPayload: () => void;
}

export class IncomingMessages {
  readonly #seen: RecentIds;
  readonly #sink: IncomingMessageSink;

  constructor(sink: IncomingMessageSink, memory = DEFAULT_MESSAGE_MEMORY) {
    this.#sink = sink;
    this.#seen = new RecentIds(memory);
  }

  /** Handles one `presence_message (message, ack)`. */
  handle(payload: unknown, ack: unknown): void {
    if (!isPresenceMessage(payload)) {
      this.#sink.badPayload();
      return;
    }
    const reply = typeof ack === 'function' ? (ack as () => void) : () => {};
    if (this.#seen.has(payload.id)) {
      reply();
      return;
    }
    if (!this.#sink.listening()) return;
    this.#seen.add(payload.id);
    this.#sink.show({ id: payload.id, event: payload.event, payload: payload.payload });
    reply();
  }
}

function isPresenceMessage(value: unknown): value is PresenceMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { id, event } = value as { id?: unknown; event?: unknown };
  return typeof id === 'string' && id.length > 0 && typeof event === 'string' && event.length > 0;
}
