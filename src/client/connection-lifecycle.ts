/**
 * The client's connection lifecycle: the socket.io socket, the handshake it sends on every
 * (re)connect, and what happens on connect, disconnect and a refused connection (reconnecting with
 * full jitter, retrying after `overloaded` as the server hints, restoring the custom fields after
 * a reconnect, a frame over the server's limit). When to try again is reconnect-schedule.ts.
 *
 * Why apart from `presence-client.ts`: a reconnect must carry over what the user asked for
 * (invisibility, the acked fields), and that state belongs with the socket that reconnects, not
 * with the public API, which only composes the parts and tells this what the user asked.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { PatchValue, PresencePatch } from '../domain/client-protocol.js';
import type { DeviceKind } from '../domain/device-kind.js';
import { PresenceClientError } from './client-error.js';
import { closedAsTooBig } from './closed-as-too-big.js';
import {
  backoffFromOptions,
  hostReconnectTimers,
  type ReconnectBackoff,
  ReconnectSchedule,
  type ReconnectTimers,
} from './reconnect-schedule.js';

/** Refusals the client retries on its own after the server's `retryAfterMs` hint. */
const RETRIED_REFUSALS: ReadonlySet<string> = new Set([
  'overloaded',
  'too_many_handshakes',
  'draining',
]);

const REFUSAL_REASONS: Readonly<Record<string, string>> = {
  overloaded: 'the server is overloaded',
  too_many_handshakes: 'too many connection attempts',
  draining: 'the node is stopping',
};

/**
 * Websocket first, long polling only when the websocket fails (a proxy that refuses upgrades).
 * socket.io's default, polling then upgrade, costs every connect an extra HTTP round trip, and
 * behind a round-robin balancer without sticky sessions its polling requests land on nodes that
 * never saw the handshake. A websocket is one TCP connection, so it stays on one node. An app's
 * own `socketOptions.transports` wins.
 */
export const WEBSOCKET_FIRST: Readonly<Pick<ManagerOptions, 'transports' | 'tryAllTransports'>> = {
  // engine.io-client copies the list before changing it.
  transports: ['websocket', 'polling'],
  tryAllTransports: true,
};

/** What the handshake is made of (the client's options). */
export interface HandshakeSettings {
  readonly token: string | (() => string | Promise<string>);
  readonly device?: string | undefined;
  readonly kind?: DeviceKind | undefined;
  /** The status to connect with until an acked update replaces it. */
  readonly status?: string | undefined;
  readonly invisible?: boolean | undefined;
  /**
   * This device's lineage: sent in every handshake, so a reconnect on any node takes the device's
   * entry over and friends see nothing (PROTOCOL.md, "Takeover"). 8 to 64 characters of
   * A-Z a-z 0-9 _ -; keep it for as long as this client is the same device (e.g. in
   * sessionStorage across reloads). @default a random one per client
   */
  readonly lineage?: string | undefined;
  /**
   * Passed to `io()`; `auth` is always the handshake, and socket.io's own reconnection is off
   * (the SDK reconnects itself; `reconnection: false` here turns that off too, and
   * `reconnectionDelay` / `reconnectionDelayMax` are its bounds unless `reconnectBackoff` says).
   */
  readonly socketOptions?: Partial<ManagerOptions & SocketOptions> | undefined;
  /** The reconnect backoff's bounds (full jitter). @default {baseMs: 1000, capMs: 30000} */
  readonly reconnectBackoff?: Partial<ReconnectBackoff> | undefined;
  /** The random source of the reconnect jitter in [0, 1). @default Math.random */
  readonly reconnectRandom?: (() => number) | undefined;
  /** The timers of reconnects. @default the host's (unref'd in Node) */
  readonly reconnectTimers?: ReconnectTimers | undefined;
}

/** The parts of the client the lifecycle drives. */
export interface LifecycleParts {
  /** Idle tracking: while idle, the handshake carries its status. */
  readonly idle: { readonly idle: boolean; readonly status: string };
  /** Sends an update over the connection (the custom fields restored after a reconnect). */
  request(patch: PresencePatch): Promise<void>;
  /** Connected (again), the restoring update sent. */
  connected(): void;
  /** The connection is lost (`reason` from socket.io). */
  disconnected(reason: string): void;
  /** The server refused the connection and socket.io will not try again. */
  refused(error: PresenceClientError): void;
  error(error: PresenceClientError): void;
}

export class ConnectionLifecycle {
  readonly socket: Socket;
  readonly #settings: HandshakeSettings;
  readonly #parts: LifecycleParts;
  /** The fields of every acked update, merged: what a reconnect must restore. */
  readonly #applied = new Map<string, PatchValue>();
  /** The last invisibility asked for: the handshake carries it, so a reconnect never shows it. */
  #invisible: boolean;
  /** The next try after a lost connection or a refusal (reconnect-schedule.ts). */
  readonly #schedule: ReconnectSchedule;
  /** The app did not turn reconnection off (`socketOptions.reconnection: false`). */
  readonly #reconnects: boolean;
  /** {@link reconnectWithin} was asked: the pending try closes a live connection first. */
  #moveAsked = false;
  /** Sent in every handshake: the same for every reconnect of this client. */
  readonly lineage: string;

  constructor(url: string, settings: HandshakeSettings, parts: LifecycleParts) {
    this.#settings = settings;
    this.#parts = parts;
    this.lineage = settings.lineage ?? randomLineage();
    this.#invisible = settings.invisible === true;
    this.#reconnects = settings.socketOptions?.reconnection !== false;
    this.#schedule = new ReconnectSchedule(
      () => {
        if (this.#moveAsked && this.socket.connected) this.socket.disconnect();
        this.#moveAsked = false;
        if (!this.socket.connected) this.socket.connect();
      },
      backoffFromOptions(settings.reconnectBackoff, settings.socketOptions),
      settings.reconnectRandom ?? Math.random,
      settings.reconnectTimers ?? hostReconnectTimers,
    );
    this.socket = io(`${url.replace(/\/+$/, '')}/presence`, {
      // transportImplementations and transports together are refused by engine.io-client.
      ...(settings.socketOptions?.transportImplementations === undefined ? WEBSOCKET_FIRST : {}),
      ...settings.socketOptions,
      // socket.io's backoff spreads too little (reconnect-schedule.ts): the schedule drives it.
      reconnection: false,
      auth: (callback) => {
        this.#handshake().then(callback, (error: unknown) => {
          parts.error(
            new PresenceClientError('connect_failed', 'the token function failed', {
              cause: error,
            }),
          );
          callback({ ...this.#handshakeFields() });
        });
      },
    });
  }

  /** The user asked for this invisibility (acked or not): the next handshakes carry it. */
  askInvisible(invisible: boolean): void {
    this.#invisible = invisible;
  }

  /** An update was acked: its fields are restored after a reconnect. */
  remember(patch: PresencePatch): void {
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) this.#applied.set(key, value);
    }
  }

  /** Connects (again), dropping a scheduled retry. */
  connect(): void {
    this.#moveAsked = false;
    this.#schedule.cancel();
    this.socket.connect();
  }

  /** Closes the connection for good (until {@link connect}), dropping a scheduled retry. */
  disconnect(): void {
    this.#moveAsked = false;
    this.#schedule.cancel();
    this.socket.disconnect();
  }

  /**
   * Reconnects within `windowMs` at a random moment, dropping the current connection first if
   * there is one: for a server that asks its clients to move (e.g. before it stops).
   */
  reconnectWithin(windowMs: number): number {
    this.#moveAsked = true;
    return this.#schedule.within(windowMs);
  }

  /**
   * Starts handling the socket's connect, disconnect and refusals. Called after the other parts
   * put their own listeners on the socket, so that on a reconnect they run first (the rooms
   * rejoin before the reapply and the app's `connect`).
   */
  listen(): void {
    const socket = this.socket;
    const parts = this.#parts;
    socket.on('connect', () => {
      this.#schedule.cancel();
      this.#schedule.reset();
      this.#reapply();
      parts.connected();
    });
    socket.on('disconnect', (reason, details) => {
      if (closedAsTooBig(details)) {
        parts.error(
          new PresenceClientError(
            'frame_too_large',
            'the server closed the connection: a message was over its size limit',
          ),
        );
      }
      parts.disconnected(reason);
      // Closed on purpose by either side: socket.io leaves the socket inactive, and so do we.
      if (this.#reconnects && socket.active) this.#schedule.failed();
    });
    socket.on('connect_error', (error) => {
      if (RETRIED_REFUSALS.has(error.message) && !socket.active) {
        this.#retryOverloaded(error);
        return;
      }
      // The transport failed (server down, timeout): the socket stays active, try again.
      if (this.#reconnects && socket.active) this.#schedule.failed();
      const refused = error.message === 'unauthorized';
      const clientError = refused
        ? new PresenceClientError('unauthorized', 'the server refused the token', { cause: error })
        : new PresenceClientError('connect_failed', `cannot connect: ${error.message}`, {
            cause: error,
          });
      // socket.io does not retry a connection its server refused: nothing will ack what waits.
      if (!socket.active) parts.refused(clientError);
      parts.error(clientError);
    });
  }

  /**
   * The server is full for now: socket.io does not retry a refused connection, so the client does,
   * after the server's hint plus jitter, backing off. Pending updates keep waiting (within their
   * timeout). Retried even with reconnection off: the server asked for a later try.
   */
  #retryOverloaded(error: Error & { data?: unknown }): void {
    const hint = (error.data as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    const delay = this.#schedule.failed(hint);
    const why = REFUSAL_REASONS[error.message] ?? error.message;
    this.#parts.error(
      new PresenceClientError(
        error.message,
        `${why}; connecting again in ${Math.ceil(delay / 1000)} s`,
        { cause: error },
      ),
    );
  }

  async #handshake(): Promise<Record<string, string | boolean>> {
    const { token } = this.#settings;
    return {
      ...this.#handshakeFields(),
      token: typeof token === 'function' ? await token() : token,
    };
  }

  #handshakeFields(): Record<string, string | boolean> {
    const fields: Record<string, string | boolean> = {};
    if (this.#invisible) fields['invisible'] = true;
    if (this.#settings.device !== undefined) fields['device'] = this.#settings.device;
    if (this.#settings.kind !== undefined) fields['kind'] = this.#settings.kind;
    fields['lineage'] = this.lineage;
    // Idle while disconnected: the handshake says `away`, no update needed after it.
    const idle = this.#parts.idle;
    const status = idle.idle ? idle.status : (this.#applied.get('status') ?? this.#settings.status);
    if (typeof status === 'string') fields['status'] = status;
    return fields;
  }

  /** After a reconnect: restores what the handshake cannot carry (custom fields). */
  #reapply(): void {
    const patch: Record<string, PatchValue> = {};
    for (const [key, value] of this.#applied) {
      if (key !== 'status' && key !== 'invisible') patch[key] = value;
    }
    if (Object.keys(patch).length === 0) return;
    this.#parts.request(patch).catch((error: unknown) => {
      this.#parts.error(
        new PresenceClientError(
          'reapply_failed',
          'restoring the presence after a reconnect failed',
          {
            cause: error,
          },
        ),
      );
    });
  }
}

/** 16 random bytes in base64url (22 characters): a lineage no other device will have. */
function randomLineage(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
