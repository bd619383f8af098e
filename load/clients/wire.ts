/**
 * One socket.io connection spoken directly over a raw websocket (the `ws` package), so a load
 * worker costs a fraction of what socket.io-client costs per message: engine.io v4 framing
 * (`0` open, `2` ping → `3` pong, `4` message; see engine.io-parser) around socket.io packets
 * (type digit, `/presence,` namespace, optional ack id, JSON; see socket.io-parser's
 * encodeAsString/decodeString). Only text frames of one namespace are understood: the load
 * servers send nothing else. Frames are read by their first bytes and only the JSON of events,
 * acks and connect answers is parsed.
 */
import WebSocket from 'ws';

/** socket.io packet types (socket.io-parser's PacketType), as char codes. */
const CONNECT = 0x30;
const DISCONNECT = 0x31;
const EVENT = 0x32;
const ACK = 0x33;
const CONNECT_ERROR = 0x34;
/** engine.io packet types (engine.io-parser's PACKET_TYPES), as char codes. */
const EIO_OPEN = 0x30;
const EIO_CLOSE = 0x31;
const EIO_PING = 0x32;
const EIO_MESSAGE = 0x34;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;

/** What the worker needs of a connection, whichever client library speaks the wire. */
export interface ClientWire {
  /** performance.now() of the last sign of life from the server (its pings). */
  readonly lastPingAt: number;
  /** Silence beyond this means the server is gone. */
  readonly silenceLimitMs: number;
  emit(event: string, data: unknown, ack?: (args: unknown[]) => void): void;
  /** Leaves on purpose (the server untracks at once). */
  close(reason?: string): void;
  /** Closes the transport without leaving: the server sees a dropped connection. */
  drop(reason?: string): void;
  terminate(reason: string): void;
}

export interface WireHandlers {
  /** The namespace accepted the connection. */
  onConnect(): void;
  /** The namespace refused it (CONNECT_ERROR): `message` and the error's `data`. */
  onConnectError(message: string, data: unknown): void;
  /** A server event; `ack` is set when the server asked for an ack. */
  onEvent(name: string, payload: unknown, ack: (() => void) | undefined): void;
  /** The connection is gone (any reason, including our own close). Called once. */
  onClose(reason: string): void;
}

export class WireSocket implements ClientWire {
  private readonly ws: WebSocket;
  private readonly nsp: string;
  private readonly acks = new Map<number, (args: unknown[]) => void>();
  private nextAckId = 0;
  private closed = false;
  /** performance.now() of the last server ping (or of the open): a dead peer stops pinging. */
  lastPingAt = performance.now();
  /** pingInterval + pingTimeout from the open packet: silence beyond it means the peer is gone. */
  silenceLimitMs = 45_000;

  /** `baseUrl` is `http://host:port`; `nsp` like `/presence`; `auth` is the handshake's auth. */
  constructor(
    baseUrl: string,
    nsp: string,
    private readonly auth: object,
    private readonly handlers: WireHandlers,
  ) {
    this.nsp = nsp;
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    // The servers send JSON text they encoded themselves: validating UTF-8 per frame is waste.
    this.ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      // Frames still in flight after our close are not the closed connection's any more.
      if (!isBinary && !this.closed) this.onFrame(data);
    });
    this.ws.on('close', () => this.finish('transport close'));
    this.ws.on('error', () => this.finish('transport error'));
  }

  /** Emits an event; with `ack`, the server's ack arguments are passed to it. */
  emit(event: string, data: unknown, ack?: (args: unknown[]) => void): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    let id = '';
    if (ack) {
      const n = this.nextAckId++;
      this.acks.set(n, ack);
      id = String(n);
    }
    this.ws.send(`42${this.nsp},${id}${JSON.stringify([event, data])}`);
  }

  /** Answers a server event's ack (`43/nsp,<id>[...]`). */
  ack(id: number, args: readonly unknown[] = []): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(`43${this.nsp},${id}${args.length === 0 ? '[]' : JSON.stringify(args)}`);
  }

  /**
   * Leaves on purpose: the namespace's DISCONNECT packet (`41/nsp,`, what socket.io-client's
   * `disconnect()` sends, so the server untracks at once, with no leave grace), then the close.
   * onClose follows with `reason`.
   */
  close(reason = 'client close'): void {
    if (this.closed) return;
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(`41${this.nsp},`);
      this.ws.close();
    } else this.ws.terminate();
    this.finish(reason);
  }

  /** Closes the websocket without leaving: the server sees a dropped connection (leave grace). */
  drop(reason = 'client drop'): void {
    if (this.closed) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    else this.ws.terminate();
    this.finish(reason);
  }

  /** Drops the connection without a closing handshake (the peer went silent). */
  terminate(reason: string): void {
    if (this.closed) return;
    this.ws.terminate();
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.acks.clear();
    this.handlers.onClose(reason);
  }

  private onFrame(data: Buffer): void {
    const eio = data[0];
    if (eio === EIO_MESSAGE) {
      this.onPacket(data);
      return;
    }
    if (eio === EIO_PING) {
      this.lastPingAt = performance.now();
      this.ws.send('3');
      return;
    }
    if (eio === EIO_OPEN) {
      const open = JSON.parse(data.toString('utf8', 1)) as {
        pingInterval?: number;
        pingTimeout?: number;
      };
      this.silenceLimitMs = (open.pingInterval ?? 25_000) + (open.pingTimeout ?? 20_000);
      this.lastPingAt = performance.now();
      this.ws.send(`40${this.nsp},${JSON.stringify(this.auth)}`);
      return;
    }
    if (eio === EIO_CLOSE) this.close('server close');
  }

  /** `4` + socket.io packet: type, `/nsp,`, optional ack id, JSON. */
  private onPacket(data: Buffer): void {
    const type = data[1];
    // Skip `/nsp,` (every packet of ours is in the one namespace; the main one has none).
    let i = 2;
    if (data[i] === 0x2f) {
      while (i < data.length && data[i] !== 0x2c) i += 1;
      i += 1;
    }
    let id: number | undefined;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39) {
      id = (id ?? 0) * 10 + (data[i]! - 0x30);
      i += 1;
    }
    if (type === EVENT) {
      if (data[i] !== OPEN_BRACKET) return;
      const args = JSON.parse(data.toString('utf8', i)) as unknown[];
      const ackId = id;
      this.handlers.onEvent(
        String(args[0]),
        args[1],
        ackId === undefined ? undefined : () => this.ack(ackId),
      );
      return;
    }
    if (type === ACK) {
      const ack = id === undefined ? undefined : this.acks.get(id);
      if (!ack) return;
      this.acks.delete(id!);
      ack(JSON.parse(data.toString('utf8', i)) as unknown[]);
      return;
    }
    if (type === CONNECT) {
      this.handlers.onConnect();
      return;
    }
    if (type === CONNECT_ERROR) {
      const error =
        data[i] === OPEN_BRACE
          ? (JSON.parse(data.toString('utf8', i)) as { message?: string; data?: unknown })
          : {};
      this.handlers.onConnectError(String(error.message ?? 'connect error'), error.data);
      return;
    }
    if (type === DISCONNECT) this.close('server disconnect');
  }
}
