/** The connected sessions of this node, by user: graph changes reach every socket of a user. */
import type { UserId } from '../../domain/user-id.js';
import type { ConnectionSession } from './connection-session.js';

export class SessionRegistry {
  private readonly byUser = new Map<UserId, Set<ConnectionSession>>();
  private total = 0;

  add(session: ConnectionSession): void {
    let sessions = this.byUser.get(session.userId);
    if (sessions === undefined) {
      sessions = new Set();
      this.byUser.set(session.userId, sessions);
    }
    if (!sessions.has(session)) this.total++;
    sessions.add(session);
  }

  remove(session: ConnectionSession): void {
    const sessions = this.byUser.get(session.userId);
    if (!sessions?.delete(session)) return;
    this.total--;
    if (sessions.size === 0) this.byUser.delete(session.userId);
  }

  /** A copy: callers may close sessions while iterating. */
  ofUser(userId: UserId): ConnectionSession[] {
    const sessions = this.byUser.get(userId);
    return sessions === undefined ? [] : [...sessions];
  }

  ofUserCount(userId: UserId): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  all(): ConnectionSession[] {
    const out: ConnectionSession[] = [];
    for (const sessions of this.byUser.values()) out.push(...sessions);
    return out;
  }

  /** Connections on this node. */
  get size(): number {
    return this.total;
  }

  /** Distinct users connected to this node. */
  get userCount(): number {
    return this.byUser.size;
  }
}
