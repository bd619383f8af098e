/**
 * The client's count-only rooms (a protocol extension): joins and leaves with acks, the last
 * count heard per room, and re-joins after a reconnect (the server forgets a closed connection's
 * rooms). Browser-safe: socket.io-client only.
 */
import type { Socket } from 'socket.io-client';
import type { RoomJoinAck, UpdateAck } from '../domain/client-protocol.js';
import { PresenceClientError } from './client-error.js';

export interface RoomSink {
  count(room: string, count: number): void;
  error(error: PresenceClientError): void;
}

function isRoomJoinAck(value: unknown): value is RoomJoinAck {
  if (typeof value !== 'object' || value === null) return false;
  const ack = value as { ok?: unknown; count?: unknown; error?: { code?: unknown } };
  return ack.ok === true
    ? typeof ack.count === 'number'
    : ack.ok === false && typeof ack.error?.code === 'string';
}

export class RoomSubscriptions {
  /** Rooms wanted → the last count heard (undefined until the first ack). */
  readonly #rooms = new Map<string, number | undefined>();
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #sink: RoomSink;

  constructor(socket: Socket, timeoutMs: number, sink: RoomSink) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.#sink = sink;
    socket.on('presence_count', (payload: unknown) => this.#heard(payload));
    socket.on('connect', () => this.#rejoin());
  }

  /** The last count heard for a joined room. */
  count(room: string): number | undefined {
    return this.#rooms.get(room);
  }

  async join(room: string): Promise<number> {
    if (!this.#rooms.has(room)) this.#rooms.set(room, undefined);
    const ack = await this.#send('presence:room:join', room);
    if (!isRoomJoinAck(ack)) {
      this.#rooms.delete(room);
      throw new PresenceClientError('bad_payload', 'unreadable presence:room:join ack');
    }
    if (!ack.ok) {
      this.#rooms.delete(room);
      throw new PresenceClientError(ack.error.code, ack.error.message);
    }
    if (this.#rooms.has(room)) this.#rooms.set(room, ack.count);
    return ack.count;
  }

  async leave(room: string): Promise<void> {
    if (!this.#rooms.delete(room) || !this.#socket.connected) return;
    const ack = (await this.#send('presence:room:leave', room)) as UpdateAck | undefined;
    if (ack?.ok === false) throw new PresenceClientError(ack.error.code, ack.error.message);
  }

  async #send(event: string, room: string): Promise<unknown> {
    try {
      return await this.#socket.timeout(this.#timeoutMs).emitWithAck(event, room);
    } catch (error) {
      throw new PresenceClientError('timeout', `${event}: no ack within ${this.#timeoutMs} ms`, {
        cause: error,
      });
    }
  }

  #heard(payload: unknown): void {
    const update = payload as { room?: unknown; count?: unknown } | null;
    if (typeof update?.room !== 'string' || typeof update.count !== 'number') {
      this.#sink.error(
        new PresenceClientError('bad_payload', 'ignored an unreadable presence_count'),
      );
      return;
    }
    if (!this.#rooms.has(update.room)) return;
    this.#rooms.set(update.room, update.count);
    this.#sink.count(update.room, update.count);
  }

  /** After a reconnect: joins again every room joined before (acked at least once). */
  #rejoin(): void {
    for (const [room, count] of this.#rooms) {
      if (count === undefined) continue;
      this.join(room).then(
        (fresh) => this.#sink.count(room, fresh),
        (error: unknown) =>
          this.#sink.error(
            new PresenceClientError('rejoin_failed', `joining room ${room} again failed`, {
              cause: error,
            }),
          ),
      );
    }
  }
}
