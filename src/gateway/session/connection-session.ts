/**
 * One connected socket: its tracked presence, made of two parts with a file each: its
 * subscriptions (subscriptions.ts: the friends it watches, in subscription steps) and its
 * `presence:update`s (presence-updates.ts, which also keep it counted in its count-only rooms
 * only while it is visible). Built with everything it needs (session-context.ts).
 */
import { topicFor } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import { trackedMeta } from './invisibility.js';
import { PresenceUpdates } from './presence-updates.js';
import type {
  SessionCollaborators,
  SessionConnection,
  SessionOptions,
  TrackedPresence,
} from './session-context.js';
import { SessionSubscriptions } from './subscriptions.js';

export class ConnectionSession {
  readonly userId: UserId;
  readonly socket: SessionConnection['socket'];
  private readonly takenOver: string | undefined;
  private readonly presence: TrackedPresence;
  private readonly subscriptions: SessionSubscriptions;
  private readonly updates: PresenceUpdates;
  private closed = false;

  constructor(
    connection: SessionConnection,
    options: SessionOptions,
    private readonly parts: SessionCollaborators,
  ) {
    this.userId = connection.userId;
    this.socket = connection.socket;
    this.takenOver = connection.takenOver;
    this.presence = { meta: connection.meta, invisible: connection.invisible };
    this.subscriptions = new SessionSubscriptions(this.userId, this.socket, options, parts);
    this.updates = new PresenceUpdates(
      this.userId,
      this.socket,
      this.conn,
      this.presence,
      connection.countRooms,
      options,
      parts,
    );
  }

  /** The connection id in the tracker: the socket's, or the graced entry's it took over. */
  get conn(): string {
    return this.takenOver ?? this.socket.id;
  }

  /** True while the connection is hidden from friends (tracked on `self:`). */
  get isInvisible(): boolean {
    return this.presence.invisible;
  }

  /** True once the first `presence_state` went out. */
  get subscribed(): boolean {
    return this.subscriptions.subscribed;
  }

  /**
   * Tracks the connection and starts the first subscription step. `admitted` is called once that
   * step is over (its state sent, or its lookup failed) or the connection closed.
   */
  start(admitted?: () => void): void {
    this.subscriptions.holdAdmission(admitted);
    const { replica } = this.parts;
    const { meta, invisible } = this.presence;
    const topic = topicFor(this.userId, invisible);
    const tracked = trackedMeta(meta, invisible);
    // A graced entry taken over: one update (friends see a meta change, not a leave and a join).
    if (
      this.takenOver === undefined ||
      !replica.update(topic, this.userId, this.conn, tracked).ok
    ) {
      replica.track(topic, this.userId, this.conn, tracked);
    }
    this.subscriptions.resubscribe();
  }

  /** Re-reads the graph and brings the rooms in line with it (a graph change or a retry). */
  resubscribe(): void {
    this.subscriptions.resubscribe();
  }

  /** A background re-read of the graph; resolves to the friends added or removed. */
  recheck(): Promise<number> {
    return this.subscriptions.recheck();
  }

  /** Stops seeing `users` at once (an edge was removed), then re-reads the graph. */
  unsubscribeNow(users: readonly UserId[]): void {
    this.subscriptions.unsubscribeNow(users);
  }

  /** Handles `presence:update (patch, ack)`, whatever the client sent. */
  update(args: readonly unknown[]): void {
    this.updates.handle(args);
  }

  /**
   * The connection closed: untrack it (its leaves reach everyone through the tracker), unless
   * `untrack` is false (its entry stays for the leave grace, see leave-grace.ts).
   */
  close(untrack = true): void {
    if (this.closed) return;
    this.closed = true;
    this.subscriptions.close();
    this.updates.close();
    if (untrack) this.parts.replica.untrackConnection(this.conn);
  }
}
