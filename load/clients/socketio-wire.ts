/**
 * The same connection as load/clients/wire.ts spoken by socket.io-client (`--client socket.io`):
 * what the load workers used before, kept to measure what the generator itself costs per
 * message with the real client library.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientWire, WireHandlers } from './wire.js';

export class SocketIoWire implements ClientWire {
  private readonly socket: Socket;
  private closed = false;
  // socket.io-client notices a silent server itself (its own ping timeout → disconnect).
  readonly lastPingAt = Number.POSITIVE_INFINITY;
  readonly silenceLimitMs = Number.POSITIVE_INFINITY;

  constructor(
    baseUrl: string,
    nsp: string,
    auth: object,
    private readonly handlers: WireHandlers,
    timeoutMs: number,
  ) {
    this.socket = io(`${baseUrl}${nsp}`, {
      auth: auth as Record<string, unknown>,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    this.socket.on('connect', () => handlers.onConnect());
    this.socket.on('connect_error', (err: Error & { data?: unknown }) => {
      handlers.onConnectError(err.message, err.data);
      this.finish('connect error');
    });
    this.socket.onAny((event: string, ...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as () => void) : undefined;
      handlers.onEvent(event, args[0], ack);
    });
    this.socket.on('disconnect', (reason) => this.finish(reason));
  }

  emit(event: string, data: unknown, ack?: (args: unknown[]) => void): void {
    if (ack) this.socket.emit(event, data, (...args: unknown[]) => ack(args));
    else this.socket.emit(event, data);
  }

  close(reason = 'client close'): void {
    this.socket.disconnect();
    this.finish(reason);
  }

  /** socket.io-client's engine closed under the socket: no DISCONNECT packet is sent. */
  drop(reason = 'client drop'): void {
    this.socket.io.engine?.close();
    this.finish(reason);
  }

  terminate(reason: string): void {
    this.close(reason);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose(reason);
  }
}
