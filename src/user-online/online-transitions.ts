/**
 * When a user is online for the backend: the first visible connection anywhere in the cluster
 * makes them `online`, the last one leaving makes them `offline` only after `offlineDelayMs`
 * without a visible connection, so a user moving between devices or nodes (a leave on one, a join
 * on another a moment later) produces no event at all. Pure: the caller says what it saw and when.
 *
 * `seq` numbers a user's transitions: each is above the user's previous one on this node, and
 * it is at least the transition's time, so that after an offline (when the user is forgotten) the
 * next online still numbers higher, on any node whose clock agrees within the offline delay.
 */
import type { UserId } from '../domain/user-id.js';

export interface OnlineTransition {
  readonly type: 'online' | 'offline';
  readonly user: UserId;
  /** When it happened (ms since the epoch): an offline's is the moment the last device left. */
  readonly at: number;
  readonly seq: number;
}

export class OnlineTransitions {
  /** Users announced online → the seq of that announcement. */
  private readonly online = new Map<UserId, number>();
  /**
   * Online users with no visible connection since the value (ms). A Map iterates in insertion
   * order and the delay is one constant, so the first entry is always the next one due.
   */
  private readonly leaving = new Map<UserId, number>();

  constructor(private readonly offlineDelayMs: number) {}

  /**
   * The user has (`visible`) or has no visible connection as of `now`. Returns the `online`
   * transition when this is their first; nothing for a leave (see `due`) or a return in time.
   */
  observe(user: UserId, visible: boolean, now: number): OnlineTransition | undefined {
    if (!visible) {
      if (this.online.has(user) && !this.leaving.has(user)) this.leaving.set(user, now);
      return undefined;
    }
    if (this.leaving.delete(user) || this.online.has(user)) return undefined;
    const transition: OnlineTransition = { type: 'online', user, at: now, seq: now };
    this.online.set(user, transition.seq);
    return transition;
  }

  /** The offline transitions whose delay has passed by `now`, in the order the users left. */
  due(now: number): OnlineTransition[] {
    const transitions: OnlineTransition[] = [];
    for (const [user, leftAt] of this.leaving) {
      if (leftAt + this.offlineDelayMs > now) break;
      transitions.push(this.goOffline(user, leftAt));
    }
    return transitions;
  }

  /** Every user still leaving goes offline now, as of when they left (a node shutting down). */
  flush(): OnlineTransition[] {
    return [...this.leaving].map(([user, leftAt]) => this.goOffline(user, leftAt));
  }

  /** When `due` next has something to return; undefined when no user is leaving. */
  nextDueAt(): number | undefined {
    for (const leftAt of this.leaving.values()) return leftAt + this.offlineDelayMs;
    return undefined;
  }

  isOnline(user: UserId): boolean {
    return this.online.has(user);
  }

  /** Users announced online (leaving ones included). */
  get onlineCount(): number {
    return this.online.size;
  }

  private goOffline(user: UserId, leftAt: number): OnlineTransition {
    const onlineSeq = this.online.get(user) ?? leftAt - 1;
    this.leaving.delete(user);
    this.online.delete(user);
    return { type: 'offline', user, at: leftAt, seq: Math.max(leftAt, onlineSeq + 1) };
  }
}
