/**
 * A real socket.io client of `/presence` that records everything it receives and keeps its view
 * of presences with the `phoenix` package's own Presence.syncState / syncDiff, as a Phoenix
 * client would.
 */
import { Presence, type PresenceState } from 'phoenix';
import { io, type Socket } from 'socket.io-client';
import type {
  ClientError,
  LastSeenMap,
  PresenceDiff,
  UpdateAck,
} from '../../../src/domain/client-protocol.js';
import { waitFor } from '../../support/wait-for.js';
import { tokenFor } from './test-server.js';

type PresenceDiffShape = Parameters<typeof Presence.syncDiff>[1];

export type Received =
  | { readonly event: 'presence_state'; readonly payload: PresenceState }
  | { readonly event: 'presence_diff'; readonly payload: PresenceDiff }
  | { readonly event: 'presence_error'; readonly payload: ClientError };

export type Inspector = (
  client: TestClient,
  event: Received['event'] | 'presence_last_seen',
  payload: unknown,
) => void;

export class TestClient {
  view: PresenceState = {};
  readonly received: Received[] = [];
  states = 0;
  /** The synced view's user ids after each payload. */
  readonly history: string[][] = [];
  /** Every `presence_last_seen` payload, as received (kept apart from `received`). */
  readonly lastSeen: LastSeenMap[] = [];
  constructor(
    readonly user: string,
    readonly socket: Socket,
    /** Sees every payload before it is applied to the view. */
    inspect?: Inspector,
  ) {
    if (inspect) {
      const events = ['presence_state', 'presence_diff', 'presence_error', 'presence_last_seen'];
      for (const event of events as Parameters<Inspector>[1][]) {
        socket.on(event, (payload: unknown) => inspect(this, event, payload));
      }
    }
    socket.on('presence_state', (payload: PresenceState) => {
      this.received.push({ event: 'presence_state', payload });
      this.states++;
      this.view = Presence.syncState(this.view, payload);
      this.history.push(this.users());
    });
    socket.on('presence_diff', (payload: PresenceDiff) => {
      this.received.push({ event: 'presence_diff', payload });
      this.view = Presence.syncDiff(this.view, payload as unknown as PresenceDiffShape);
      this.history.push(this.users());
    });
    socket.on('presence_error', (payload: ClientError) => {
      this.received.push({ event: 'presence_error', payload });
    });
    socket.on('presence_last_seen', (payload: LastSeenMap) => this.lastSeen.push(payload));
  }

  /** User ids in the synced view, sorted. */
  users(): string[] {
    return Object.keys(this.view).sort();
  }

  metas(user: string): Array<Record<string, unknown>> {
    return this.view[user]?.metas ?? [];
  }

  errors(): ClientError[] {
    return this.received.flatMap((r) => (r.event === 'presence_error' ? [r.payload] : []));
  }

  update(patch: unknown): Promise<UpdateAck> {
    return this.socket.timeout(5_000).emitWithAck('presence:update', patch) as Promise<UpdateAck>;
  }

  /** `presence:last_seen_visibility` with its ack (anything may be sent, to test refusals). */
  setLastSeenVisibility(visibility: unknown): Promise<UpdateAck> {
    return this.socket
      .timeout(5_000)
      .emitWithAck('presence:last_seen_visibility', visibility) as Promise<UpdateAck>;
  }

  /** Waits until the first presence_state arrived. */
  ready(): Promise<void> {
    return waitFor(() => this.states > 0, { description: `${this.user} got presence_state` });
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface ConnectOptions {
  readonly device?: string;
  /** The handshake's device kind (`web`, `mobile`, `desktop`, `other`). */
  readonly kind?: string;
  readonly status?: string;
  readonly invisible?: boolean;
  readonly token?: string | null;
  readonly auth?: Record<string, unknown>;
  readonly inspect?: Inspector;
}

function openSocket(url: string, auth: Record<string, unknown>): Socket {
  return io(`${url}/presence`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
}

/** Connects `user` and waits for the connection (not for the state). */
export async function connect(
  url: string,
  user: string,
  options: ConnectOptions = {},
): Promise<TestClient> {
  const token = options.token === undefined ? await tokenFor(user) : options.token;
  const auth: Record<string, unknown> = { ...options.auth };
  if (token !== null) auth['token'] = token;
  if (options.device !== undefined) auth['device'] = options.device;
  if (options.kind !== undefined) auth['kind'] = options.kind;
  if (options.status !== undefined) auth['status'] = options.status;
  if (options.invisible !== undefined) auth['invisible'] = options.invisible;
  const socket = openSocket(url, auth);
  const client = new TestClient(user, socket, options.inspect);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
  return client;
}

/** Connects and resolves with the connect_error message (fails if the connection is accepted). */
export async function refusal(url: string, auth: Record<string, unknown>): Promise<string> {
  const socket = openSocket(url, auth);
  try {
    return await new Promise<string>((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connection was accepted')));
      socket.once('connect_error', (error) => resolve(error.message));
    });
  } finally {
    socket.disconnect();
  }
}
