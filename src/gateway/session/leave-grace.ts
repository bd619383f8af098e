/**
 * Leave grace: a connection that drops without an explicit leave (network loss, ping timeout, a
 * closed tab, a deploy cutting sockets) keeps its tracker entry for `leaveGraceMs`, so friends do
 * not see the user go offline and come back when the device reconnects at once. After the grace
 * the entry is untracked as any leave.
 *
 * A graced entry is indexed by (user, device) (the handshake's `device`, absent counts as one
 * device of its own). A reconnect of the same user and device ends it, on any node, with no new
 * wire message:
 *
 * - on the node holding it: the new connection takes the entry over (`claim`): one tracker
 *   `update` of the graced entry with the new connection's meta, so friends get a single diff
 *   (the new meta with `phx_ref_prev`, the old one in leaves), the same as a status change.
 * - on another node: the new connection is tracked there (a fresh track: `prev` 0); every node
 *   that holds graced entries of that user and device sees the join (local, merged delta or
 *   transfer: the change router's `leaveGrace` consumer) and untracks them then. The join always
 *   comes first, so the user never has zero metas in between: friends see join(new meta), then
 *   leave(old meta).
 *
 * With a lineage (the handshake's `lineage`, see src/core/presence-state.ts and wire-refs.ts) the
 * reconnect is a takeover on every node: the tracker shows the device's new entry instead of the
 * graced one in one change, the graced one's untrack then changes nothing visible, and with the
 * same meta the ref is the same, so friends are sent nothing; otherwise one update.
 *
 * A drop is graced only when no other connection of the same user and device is tracked (on any
 * node, as this node knows it): otherwise that device is shown anyway (it reconnected before the
 * drop was noticed, e.g. after a ping timeout), and the dropped entry leaves at once.
 *
 * An update of an existing presence (`prev` > 0) is not a reconnect and ends nothing. A fresh
 * track on `self:` (the device reconnected invisible, or went invisible) ends the grace too: the
 * user asked to be hidden. Invisible connections are never graced: nobody but the user's own
 * devices sees them.
 *
 * Graces all have the same length, so the queue is the insertion order of a Map and needs one
 * timer, armed for its head. The timer and clock are ports (tests drive them).
 */
import type { ChangeRoutes } from '../../change-router/change-routes.js';
import type { RoutedChange } from '../../change-router/routed-change.js';
import type { Presence } from '../../core/index.js';
import { selfTopic, userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PresenceTracker } from '../../ports/presence-tracker.js';

interface Graced {
  readonly userId: UserId;
  readonly conn: string;
  readonly deviceKey: string;
  readonly expiresAt: number;
}

export interface LeaveGraceStats {
  /** Dropped connections in their grace now (their entries still tracked). */
  readonly graced: number;
  /** Graced entries ended by a reconnect of their user and device (here or elsewhere). */
  readonly resumed: number;
  /** Graced entries untracked when their grace ran out. */
  readonly expired: number;
}

/** The key of a (user, device): no separator can collide, JSON quotes both. */
function deviceKeyOf(userId: UserId, device: unknown): string {
  return JSON.stringify([userId, typeof device === 'string' ? device : null]);
}

export class LeaveGrace {
  /** By connection, in expiry order (one grace length: insertion order). */
  private readonly byConn = new Map<string, Graced>();
  /** By (user, device), oldest first. */
  private readonly byDevice = new Map<string, Graced[]>();
  private timer: unknown;
  private resumed = 0;
  private expired = 0;
  private closed = false;
  /** Set by a drain: graced entries stay until their device is back elsewhere or the close. */
  private keeping = false;
  private readonly detachChanges: () => void;

  constructor(
    private readonly replica: PresenceTracker,
    changes: ChangeRoutes,
    private readonly graceMs: number,
    private readonly clock: Clock & Timers,
    private readonly logger: Logger,
  ) {
    this.detachChanges = changes.attach('leaveGrace', { changed: (change) => this.joined(change) });
  }

  stats(): LeaveGraceStats {
    return { graced: this.byConn.size, resumed: this.resumed, expired: this.expired };
  }

  /** True while the tracker connection `conn` is in its grace here. */
  isGraced(conn: string): boolean {
    return this.byConn.has(conn);
  }

  /**
   * Keeps a dropped connection's entry for the grace. False when it gets none (grace off, closed,
   * the connection is not tracked visible, or another connection of the same user and device is
   * tracked: that device is shown anyway, e.g. it reconnected before this drop was noticed): the
   * caller untracks it at once.
   */
  hold(userId: UserId, conn: string): boolean {
    if (this.closed || this.graceMs === 0 || this.byConn.has(conn)) return false;
    const topic = userTopic(userId);
    const presences = this.replica.view.connectionPresences(conn);
    const visible = presences.find((p) => p.topic === topic && p.key === userId);
    // Invisible (tracked on self:): no grace.
    if (visible === undefined) return false;
    const deviceKey = deviceKeyOf(userId, visible.meta['device']);
    for (const own of [topic, selfTopic(userId)]) {
      for (const other of this.replica.view.get(own, userId)) {
        if (other !== visible && deviceKeyOf(userId, other.meta['device']) === deviceKey) {
          return false;
        }
      }
    }
    const graced: Graced = {
      userId,
      conn,
      deviceKey,
      expiresAt: this.clock.now() + this.graceMs,
    };
    this.byConn.set(conn, graced);
    const list = this.byDevice.get(graced.deviceKey);
    if (list === undefined) this.byDevice.set(graced.deviceKey, [graced]);
    else list.push(graced);
    if (this.timer === undefined && !this.keeping) this.arm();
    return true;
  }

  /**
   * A visible connection of `userId` from `device` is starting on this node: takes over the
   * oldest graced entry of that user and device here, if any, and returns its connection id (the
   * new connection then updates that entry instead of tracking a new one). Call `supersede` once
   * the new connection is tracked, for any other graced entry of that device.
   */
  claim(userId: UserId, device: unknown): string | undefined {
    const list = this.byDevice.get(deviceKeyOf(userId, device));
    const graced = list?.[0];
    if (graced === undefined) return undefined;
    this.forget(graced);
    this.resumed++;
    return graced.conn;
  }

  /** Ends every graced entry of (user, device) here now (a connection of that device is back). */
  supersede(userId: UserId, device: unknown): void {
    for (const graced of this.take(deviceKeyOf(userId, device))) {
      this.resumed++;
      this.replica.untrackConnection(graced.conn);
    }
  }

  /**
   * A drain began: from now on no graced entry expires here. Each stays until its device is back
   * on another node (its join ends it) or the node closes, when the entries left are handed to the
   * cluster's crash grace (src/server/create-presence-server.ts stops the replica unannounced): a
   * client that takes longer than the leave grace to get in elsewhere during a storm of moves is
   * still a silent takeover.
   */
  keepUntilClose(): void {
    this.keeping = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Ends the grace, counted neither resumed nor expired (shutdown): every graced entry is
   * untracked at once, or, with `untrack` false (after a drain), left tracked for the cluster's
   * crash grace to hold.
   */
  close(untrack = true): void {
    if (this.closed) return;
    this.closed = true;
    this.detachChanges();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.byConn.values()];
    this.byConn.clear();
    this.byDevice.clear();
    if (untrack) for (const graced of all) this.replica.untrackConnection(graced.conn);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  /**
   * A fresh track of a user's device, anywhere: ends this node's graced entries of that device
   * now. Their leave is a change of its own, which the change router dispatches after this one,
   * so every consumer sees the join before it (src/change-router/change-router.ts).
   */
  private joined(change: RoutedChange): void {
    if (this.byDevice.size === 0) return;
    for (const join of change.change.joins) {
      if (!isReconnect(join)) continue;
      for (const graced of this.take(deviceKeyOf(join.key, join.meta['device']))) {
        this.resumed++;
        try {
          this.replica.untrackConnection(graced.conn);
        } catch (err) {
          this.logger.error({ err }, 'leave grace: untracking a resumed connection failed');
        }
      }
    }
  }

  private take(deviceKey: string): Graced[] {
    const list = this.byDevice.get(deviceKey);
    if (list === undefined) return [];
    this.byDevice.delete(deviceKey);
    for (const graced of list) this.byConn.delete(graced.conn);
    return list;
  }

  private forget(graced: Graced): void {
    this.byConn.delete(graced.conn);
    const list = this.byDevice.get(graced.deviceKey);
    if (list === undefined) return;
    const index = list.indexOf(graced);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.byDevice.delete(graced.deviceKey);
  }

  /** Arms the one timer for the head of the queue (none when it is empty). */
  private arm(): void {
    const head = this.byConn.values().next();
    if (head.done) return;
    const delay = Math.max(0, head.value.expiresAt - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.expire(), delay);
  }

  private expire(): void {
    this.timer = undefined;
    if (this.closed || this.keeping) return;
    const now = this.clock.now();
    const due: Graced[] = [];
    for (const graced of this.byConn.values()) {
      if (graced.expiresAt > now) break;
      due.push(graced);
    }
    for (const graced of due) {
      this.forget(graced);
      this.expired++;
      try {
        this.replica.untrackConnection(graced.conn);
      } catch (err) {
        this.logger.error({ err }, 'leave grace: untracking an expired connection failed');
      }
    }
    this.arm();
  }
}

/**
 * socket.io's disconnect reasons that are a leave on purpose: the client's `disconnect()`, the
 * server disconnecting the socket (token expiry, graph unavailable, gateway close), shutdown.
 * Any other reason (transport close or error, ping timeout, parse error) is a drop.
 */
const EXPLICIT_LEAVES: ReadonlySet<string> = new Set([
  'client namespace disconnect',
  'server namespace disconnect',
  'server shutting down',
  'forced server close',
  'forced close',
]);

export function isExplicitLeave(reason: string): boolean {
  return EXPLICIT_LEAVES.has(reason);
}

/** A fresh track (not an update) on a user's own topics: a connection that (re)appeared. */
function isReconnect(join: Presence): boolean {
  return (
    join.prev === 0 && (join.topic === userTopic(join.key) || join.topic === selfTopic(join.key))
  );
}
