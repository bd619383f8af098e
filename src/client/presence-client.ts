/**
 * The presence client: one socket.io connection to the `/presence` namespace, a synced view of
 * the presence of every user this user may see, typed events, and status updates.
 *
 * This file is the public surface: it composes the parts (the view, update requests, rooms,
 * incoming messages, idle tracking, last seen, the connection lifecycle in
 * connection-lifecycle.ts, the server events' wiring in server-events.ts) and turns what they
 * report into the app's events.
 */
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type {
  PresenceMessage,
  PresencePatch,
  UserMetas,
  WireMeta,
} from '../domain/client-protocol.js';
import { DEVICE_KINDS, type DeviceKind, isDeviceKind } from '../domain/device-kind.js';
import { ONLINE_STATUS } from '../domain/presence-status.js';
import { watchBrowserActivity } from './browser-activity.js';
import { PresenceClientError } from './client-error.js';
import { ConnectionLifecycle } from './connection-lifecycle.js';
import { type FriendStatus, friendStatus } from './friend-status.js';
import {
  DEFAULT_IDLE_AFTER_MS,
  hostIdleClock,
  IdleAway,
  type IdleClock,
  idleAfterMsProblem,
} from './idle-away.js';
import { IncomingMessages } from './incoming-messages.js';
import { DEFAULT_LAST_SEEN_WAIT_MS, LastSeenBook } from './last-seen-book.js';
import type { UserPresenceChange } from './presence-changes.js';
import { type ListedPresence, PresenceView } from './presence-view.js';
import {
  backoffFromOptions,
  type ReconnectBackoff,
  type ReconnectTimers,
  reconnectBackoffProblem,
  retryHintMs,
} from './reconnect-schedule.js';
import { RoomSubscriptions } from './room-subscriptions.js';
import { listenToServer } from './server-events.js';
import { TypedEmitter } from './typed-emitter.js';
import { UpdateRequests } from './update-requests.js';

/** Options of {@link createPresenceClient}. */
export interface PresenceClientOptions {
  /**
   * The JWT the server checks (`sub` is the user id). A function is called before every
   * connection attempt, reconnections included, so it can hand out a fresh token.
   */
  token: string | (() => string | Promise<string>);
  /** A name for this device, shown to the user's friends in the meta's `device`. */
  device?: string;
  /**
   * The kind of device (`web`, `mobile`, `desktop` or `other`): friends see a status per kind
   * ({@link PresenceClient.statusOf}). Absent: the server counts the connection as `other`.
   */
  kind?: DeviceKind;
  /**
   * This device's lineage, sent in every handshake so that a reconnect on any node takes the
   * device's presence over and friends see nothing (PROTOCOL.md, "Takeover"). 8 to 64 characters
   * of A-Z a-z 0-9 _ -. @default a random one per client, kept across its reconnects
   */
  lineage?: string;
  /**
   * After this long without activity the status `online` becomes `away`, and comes back on the
   * next activity (one update per change). Activity: input and the page turning visible in a
   * browser; {@link PresenceClient.activity} calls anywhere. 0 turns it off.
   * @default 300000 (5 minutes)
   */
  idleAfterMs?: number;
  /** The clock and timers of idle tracking (tests pass a manual clock). @default the host's */
  idleClock?: IdleClock;
  /** The status to connect with. Later {@link PresenceClient.setStatus} calls replace it. */
  status?: string;
  /**
   * Connect hidden from friends. Later {@link PresenceClient.setInvisible} calls replace it.
   * @default false
   */
  invisible?: boolean;
  /** How long `update()` waits for the server's ack, waiting for a connection included. @default 5000 */
  ackTimeoutMs?: number;
  /**
   * Passed to socket.io-client's `io()` (transports, `autoConnect`, `forceNew`, ...). The default
   * transports are websocket first, long polling only when the websocket fails. `auth` is set by
   * the client and cannot be overridden. socket.io's own reconnection is replaced by the SDK's
   * (full jitter, `reconnectBackoff`; without it `reconnectionDelay` and `reconnectionDelayMax`
   * are the bounds); `reconnection: false` turns automatic reconnects off.
   */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /**
   * After a lost connection the n-th try in a row comes at a uniformly random moment within
   * min(capMs, baseMs × 2^(n-1)) (full jitter), after the server's `retryAfterMs` if it refused.
   * @default {baseMs: 1000, capMs: 30000} (or socket.io's `reconnectionDelay`, `reconnectionDelayMax`)
   */
  reconnectBackoff?: Partial<ReconnectBackoff>;
  /** The random source of the reconnect jitter, in [0, 1) (tests pass a seeded one). @default Math.random */
  reconnectRandom?: () => number;
  /** The timers of reconnects (tests pass manual ones). @default the host's */
  reconnectTimers?: ReconnectTimers;
  /** How many delivered message ids are remembered to drop retries. @default 1000 */
  messageMemory?: number;
  /**
   * How long an `offline` waits for the friend's last seen from the server, which may come just
   * after their leave; then it is emitted with null. @default 2000
   */
  lastSeenWaitMs?: number;
}

/** The client's events and their listener arguments. */
export interface PresenceClientEvents<M extends WireMeta = WireMeta> {
  /**
   * Metas came for a user: a first device, or another one. `current` is the presence before
   * (`undefined` if the user was not visible), `joined` holds only the new metas.
   */
  join: [userId: string, current: UserMetas<M> | undefined, joined: UserMetas<M>];
  /**
   * Metas went: `current` is the presence after (`metas` empty when the user is no longer
   * visible: offline, invisible, or no longer a friend), `left` holds only the gone metas.
   */
  leave: [userId: string, current: UserMetas<M>, left: UserMetas<M>];
  /** A connection of the user changed its meta (status, custom fields): `presence` is the new one. */
  update: [userId: string, presence: UserMetas<M>];
  /** The view is in sync after a state or a diff: a good moment to re-render from `list()`. */
  sync: [];
  /** Something went wrong; `error.code` says what. The client keeps going unless it says so. */
  error: [error: PresenceClientError];
  /** Connected (again). A fresh `presence_state` follows, then `sync`. */
  connect: [];
  /**
   * The connection is lost (`reason` from socket.io). The view keeps its last state. The client
   * reconnects on its own, except after `"io server disconnect"` (the server closed this
   * connection on purpose) or `"io client disconnect"`: call {@link PresenceClient.connect}.
   */
  disconnect: [reason: string];
  /**
   * A message the server delivered to this user (its `deliver`). Shown once per id, then acked
   * for you once the listeners ran; without a listener it is not acked (the server falls back).
   */
  message: [message: PresenceMessage];
  /** A joined count-only room's count changed (at most once per server broadcast period). */
  count: [room: string, count: number];
  /** A user's first visible device appeared (after `join`); more devices do not repeat it. */
  online: [userId: string];
  /**
   * A user's last visible device went (after `leave`), with their last seen (ms since the
   * epoch) from the server: null when they hide it, the server keeps none, or it did not come
   * within `lastSeenWaitMs`.
   */
  offline: [userId: string, lastSeen: number | null];
  /**
   * The server told a user's last seen: offline friends' after each `sync`, and a friend's at
   * their last leave (null: hidden or unknown). Also read with {@link PresenceClient.lastSeenOf}.
   */
  lastSeen: [userId: string, lastSeen: number | null];
}

const DEFAULT_ACK_TIMEOUT_MS = 5_000;

/**
 * A connection to a graph-presence server that keeps the visible users' presence in sync.
 *
 * ```ts
 * const presence = createPresenceClient('https://example.com', { token, device: 'web' });
 * presence.onJoin((userId) => console.log(userId, 'is online'));
 * presence.onLeave((userId, current) => current.metas.length === 0 && console.log(userId, 'left'));
 * presence.onUpdate((userId, { metas }) => console.log(userId, metas.map((m) => m.status)));
 * presence.onSync(() => render(presence.list()));
 * await presence.setStatus('away');
 * ```
 *
 * Syncing: the server sends a full `presence_state` after every connect and `presence_diff`s
 * after it. Diffs that arrive before the state are queued and applied right after it; after a
 * reconnect the new state is a full resync, reported as the joins, updates and leaves since the
 * last view. An update arrives as one diff (new meta in `joins` with `phx_ref_prev`, the old one
 * in `leaves`) and is reported as one `update`, never as a leave and a join.
 *
 * After a reconnect the server starts a fresh entry from the handshake (token, device, the last
 * status, invisibility), so the client re-sends only the custom fields of the earlier acked
 * updates. Invisibility is in the handshake, and it is the last one asked for (acked or not): a
 * user who went invisible is never shown online by a reconnect.
 */
export class PresenceClient<M extends WireMeta = WireMeta> {
  /** The underlying socket.io socket, for advanced use. Do not emit presence events on it. */
  readonly socket: Socket;

  readonly #options: PresenceClientOptions;
  readonly #emitter: TypedEmitter<PresenceClientEvents<M>>;
  readonly #view: PresenceView<M>;
  readonly #requests: UpdateRequests;
  readonly #rooms: RoomSubscriptions;
  readonly #messages: IncomingMessages;
  /** The socket, its handshake and reconnects (connection-lifecycle.ts). */
  readonly #lifecycle: ConnectionLifecycle;
  readonly #idle: IdleAway;
  readonly #lastSeen: LastSeenBook;
  #stopWatchingActivity: () => void = () => {};

  constructor(url: string, options: PresenceClientOptions) {
    const idleAfterMs = options.idleAfterMs ?? DEFAULT_IDLE_AFTER_MS;
    const problem = idleAfterMsProblem(idleAfterMs);
    if (problem !== undefined) throw new RangeError(problem);
    if (options.kind !== undefined && !isDeviceKind(options.kind)) {
      throw new RangeError(
        `kind must be one of ${DEVICE_KINDS.join(', ')}, got ${String(options.kind)}`,
      );
    }
    const backoffProblem = reconnectBackoffProblem(
      backoffFromOptions(options.reconnectBackoff, options.socketOptions),
    );
    if (backoffProblem !== undefined) throw new RangeError(backoffProblem);
    this.#options = options;
    this.#idle = new IdleAway(
      idleAfterMs,
      options.status ?? ONLINE_STATUS,
      options.idleClock ?? hostIdleClock,
      (status) => this.#showIdleStatus(status),
    );
    this.#emitter = new TypedEmitter<PresenceClientEvents<M>>((error, event) =>
      this.#onListenerError(error, event),
    );
    this.#lastSeen = new LastSeenBook(
      options.lastSeenWaitMs ?? DEFAULT_LAST_SEEN_WAIT_MS,
      options.idleClock ?? hostIdleClock,
      {
        offline: (userId, lastSeen) => this.#emitter.emit('offline', userId, lastSeen),
        heard: (userId, lastSeen) => this.#emitter.emit('lastSeen', userId, lastSeen),
      },
    );
    this.#view = new PresenceView<M>({
      change: (change) => this.#emitChange(change),
      sync: () => this.#emitter.emit('sync'),
    });
    // The parts below need the socket, so they are built after it; the lifecycle calls them only
    // on socket events, which come once it listens (after them).
    this.#lifecycle = new ConnectionLifecycle(url, options, {
      idle: this.#idle,
      request: (patch) => this.#requests.request(patch),
      connected: () => {
        this.#requests.flush();
        this.#emitter.emit('connect');
      },
      disconnected: (reason) => {
        this.#view.handleDisconnect();
        this.#requests.failInFlight(`connection lost before the ack (${reason})`);
        this.#emitter.emit('disconnect', reason);
      },
      refused: (error) => this.#requests.failAll(error),
      error: (error) => this.#emitter.emit('error', error),
    });
    this.socket = this.#lifecycle.socket;
    this.#messages = new IncomingMessages(
      {
        listening: () => this.#emitter.listenerCount('message') > 0,
        show: (message) => this.#emitter.emit('message', message),
        badPayload: () => this.#badPayload('presence_message'),
      },
      options.messageMemory,
    );
    const socket = this.socket;
    this.#requests = new UpdateRequests(
      {
        get connected() {
          return socket.connected;
        },
        send: (patch, ack) => socket.emit('presence:update', patch, ack),
      },
      options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    );
    this.#rooms = new RoomSubscriptions(socket, options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS, {
      count: (room, count) => this.#emitter.emit('count', room, count),
      error: (error) => this.#emitter.emit('error', error),
    });
    listenToServer(socket, {
      // The guards check the shape; the metas' fields are the app's `M`.
      state: (state) => this.#view.handleState(state as never),
      diff: (diff) => this.#view.handleDiff(diff as never),
      lastSeen: (lastSeen) => this.#lastSeen.heard(lastSeen),
      message: (payload, ack) => this.#messages.handle(payload, ack),
      error: (error) => this.#emitter.emit('error', error),
      // The node is stopping: move at a random moment in its window (the balancer picks another).
      drain: (withinMs) => {
        if (this.socket.connected) this.#lifecycle.reconnectWithin(retryHintMs(withinMs));
      },
      badPayload: (event) => this.#badPayload(event),
    });
    this.#lifecycle.listen();
    this.#trackActivity();
  }

  /**
   * Joins a count-only room: resolves with its member count (connections, cluster-wide); later
   * changes arrive as `count` events. The room is joined again after every reconnect. Rejects
   * with the server's code (`invalid_room`, `too_many_rooms`, `forbidden`, `rate_limited`) or
   * `timeout`. Count-only rooms never say who is in them.
   */
  joinRoom(room: string): Promise<number> {
    return this.#rooms.join(room);
  }

  /** Leaves a count-only room (no more `count` events for it). */
  leaveRoom(room: string): Promise<void> {
    return this.#rooms.leave(room);
  }

  /** The last count heard for a joined count-only room. */
  roomCount(room: string): number | undefined {
    return this.#rooms.count(room);
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof PresenceClientEvents<M>>(
    event: E,
    listener: (...args: PresenceClientEvents<M>[E]) => void,
  ): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Removes a listener added with {@link on} (or one of the `onX` helpers). */
  off<E extends keyof PresenceClientEvents<M>>(
    event: E,
    listener: (...args: PresenceClientEvents<M>[E]) => void,
  ): void {
    this.#emitter.off(event, listener);
  }

  /** See {@link PresenceClientEvents.join}. Returns an unsubscribe function. */
  onJoin(listener: (...args: PresenceClientEvents<M>['join']) => void): () => void {
    return this.on('join', listener);
  }

  /** See {@link PresenceClientEvents.leave}. Returns an unsubscribe function. */
  onLeave(listener: (...args: PresenceClientEvents<M>['leave']) => void): () => void {
    return this.on('leave', listener);
  }

  /** See {@link PresenceClientEvents.update}. Returns an unsubscribe function. */
  onUpdate(listener: (...args: PresenceClientEvents<M>['update']) => void): () => void {
    return this.on('update', listener);
  }

  /** See {@link PresenceClientEvents.sync}. Returns an unsubscribe function. */
  onSync(listener: () => void): () => void {
    return this.on('sync', listener);
  }

  /** See {@link PresenceClientEvents.message}. Returns an unsubscribe function. */
  onMessage(listener: (message: PresenceMessage) => void): () => void {
    return this.on('message', listener);
  }

  /** See {@link PresenceClientEvents.error}. Returns an unsubscribe function. */
  onError(listener: (error: PresenceClientError) => void): () => void {
    return this.on('error', listener);
  }

  /** True while the socket is connected. */
  get connected(): boolean {
    return this.socket.connected;
  }

  /** True once the current connection's `presence_state` has been applied. */
  get synced(): boolean {
    return this.#view.synced;
  }

  /**
   * Every visible user (friends, and this user's own other devices) with their metas, one meta
   * per connection, oldest first. Between a disconnect and the next state, the last view.
   * Read-only: do not mutate what it returns.
   */
  list(): ListedPresence<M>[] {
    return this.#view.list();
  }

  /** One user's presence, or `undefined` when they are not visible. Read-only. */
  get(userId: string): UserMetas<M> | undefined {
    return this.#view.get(userId);
  }

  /**
   * One user's status across their visible devices: `online` beats `away`, which beats other
   * statuses (the server's presence query uses the same rule), and the strongest per device
   * kind. `{status: 'offline', kinds: {}}` when the user is not visible.
   */
  statusOf(userId: string): FriendStatus {
    return friendStatus(this.#view.get(userId));
  }

  /** See {@link PresenceClientEvents.online}. Returns an unsubscribe function. */
  onOnline(listener: (userId: string) => void): () => void {
    return this.on('online', listener);
  }

  /**
   * A user's last seen as the server last told it (ms since the epoch): null when hidden or
   * unknown, undefined when the server sent none (e.g. the user is online).
   */
  lastSeenOf(userId: string): number | null | undefined {
    return this.#lastSeen.of(userId);
  }

  /**
   * Sets who may see this user's last seen, on every device: `friends` (the default) or
   * `nobody`. Rejects with a PresenceClientError (`invalid_setting`, `unavailable`, `timeout`).
   */
  async setLastSeenVisibility(visibility: 'friends' | 'nobody'): Promise<void> {
    const timeoutMs = this.#options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    let ack: unknown;
    try {
      ack = await this.socket
        .timeout(timeoutMs)
        .emitWithAck('presence:last_seen_visibility', visibility);
    } catch (error) {
      throw new PresenceClientError(
        'timeout',
        `presence:last_seen_visibility: no ack within ${timeoutMs} ms`,
        { cause: error },
      );
    }
    const result = ack as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | null;
    if (result?.ok === true) return;
    const code = typeof result?.error?.code === 'string' ? result.error.code : 'bad_payload';
    const message =
      typeof result?.error?.message === 'string' ? result.error.message : 'unreadable ack';
    throw new PresenceClientError(code, message);
  }

  /** See {@link PresenceClientEvents.offline}. Returns an unsubscribe function. */
  onOffline(listener: (userId: string, lastSeen: number | null) => void): () => void {
    return this.on('offline', listener);
  }

  /**
   * The user did something: restarts the idle countdown, and brings the status back from
   * `away` if idleness had set it. In a browser, input events already count; call this in Node
   * (or for activity the page cannot see, e.g. a call in progress).
   */
  activity(): void {
    this.#idle.activity();
  }

  /** True while the user counts as idle (no activity for `idleAfterMs`). */
  get idle(): boolean {
    return this.#idle.idle;
  }

  /**
   * Sends `presence:update`. Resolves when the server acks `{ok: true}`; rejects with a
   * {@link PresenceClientError} whose `code` is the server's (`{ok: false, error}`), `timeout`,
   * or `disconnected`. While disconnected, the update waits for the next connection (within the
   * timeout). Applied fields are restored after every reconnect.
   */
  update(patch: PresencePatch): Promise<void> {
    if (typeof patch.invisible === 'boolean') this.#lifecycle.askInvisible(patch.invisible);
    // The app's status wins over idleness and counts as activity (docs/usage.md).
    if (typeof patch.status === 'string') this.#idle.setAppStatus(patch.status);
    return this.#requests.request({ ...patch }, (applied) => this.#lifecycle.remember(applied));
  }

  /**
   * Sets this connection's status (`update({status})`). It wins over idle tracking: it is shown
   * as is, and only `online` is later replaced by `away` when the user goes idle.
   */
  setStatus(status: string): Promise<void> {
    return this.update({ status });
  }

  /** Hides this user from everyone but their own devices, or shows them again. */
  setInvisible(invisible: boolean): Promise<void> {
    return this.update({ invisible });
  }

  /** Connects again after {@link disconnect} or a refused connection (e.g. with a new token). */
  connect(): void {
    // After disconnect() only: a retry (e.g. with a new token) is no sign of the user.
    if (!this.#idle.running) this.#trackActivity();
    this.#lifecycle.connect();
  }

  /**
   * Closes the connection for good (until {@link connect}): pending updates are rejected with
   * `disconnected`, the view is emptied without leave events.
   */
  disconnect(): void {
    this.#idle.stop();
    this.#lastSeen.clear();
    this.#stopWatchingActivity();
    this.#lifecycle.disconnect();
    this.#requests.failAll(new PresenceClientError('disconnected', 'the client was disconnected'));
    this.#view.clear();
  }

  #trackActivity(): void {
    this.#stopWatchingActivity();
    this.#idle.start();
    if (!this.#idle.running) return; // idleAfterMs 0: nothing to watch
    this.#stopWatchingActivity = watchBrowserActivity(() => this.#idle.activity());
  }

  /**
   * Idleness changed the status to show: one update, not remembered as the app's status. While
   * disconnected, nothing is sent: the next handshake carries it.
   */
  #showIdleStatus(status: string): void {
    if (!this.socket.connected) return;
    this.#requests.request({ status }).catch((error: unknown) => {
      // A lost connection is no failure here: the next handshake carries the idle status.
      if (error instanceof PresenceClientError && error.code === 'disconnected') return;
      this.#emitter.emit(
        'error',
        new PresenceClientError('idle_update_failed', `setting the status ${status} failed`, {
          cause: error,
        }),
      );
    });
  }

  #emitChange(change: UserPresenceChange<M>): void {
    const emitter = this.#emitter;
    if (change.kind === 'join') {
      // First join: no visible device before this one.
      const first = (change.current?.metas.length ?? 0) === 0;
      if (first) this.#lastSeen.firstJoin(change.userId);
      emitter.emit('join', change.userId, change.current, change.joined);
      if (first) emitter.emit('online', change.userId);
    } else if (change.kind === 'update') emitter.emit('update', change.userId, change.presence);
    else {
      emitter.emit('leave', change.userId, change.current, change.left);
      // Last leave: `offline` once the last seen is here (last-seen-book.ts).
      if (change.current.metas.length === 0) this.#lastSeen.lastLeave(change.userId);
    }
  }

  #badPayload(event: string): void {
    this.#emitter.emit(
      'error',
      new PresenceClientError('bad_payload', `ignored an unreadable ${event} from the server`),
    );
  }

  #onListenerError(error: unknown, event: keyof PresenceClientEvents<M>): void {
    if (event !== 'error' && this.#emitter.listenerCount('error') > 0) {
      this.#emitter.emit(
        'error',
        new PresenceClientError('listener_error', `a '${String(event)}' listener threw`, {
          cause: error,
        }),
      );
      return;
    }
    // Nobody listens for errors (or an error listener threw): do not swallow it.
    setTimeout(() => {
      throw error;
    });
  }
}

/**
 * Connects to the graph-presence server at `url` (namespace `/presence` is appended) and keeps
 * the visible users' presence in sync. See {@link PresenceClient}.
 */
export function createPresenceClient<M extends WireMeta = WireMeta>(
  url: string,
  options: PresenceClientOptions,
): PresenceClient<M> {
  return new PresenceClient<M>(url, options);
}
