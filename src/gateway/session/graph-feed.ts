/**
 * Applies the friends graph's change feed to the connected sockets of this node: every socket of
 * every affected viewer re-subscribes (an undirected edge affects both users, a directed one its
 * source). A removed edge takes effect at once, before the graph is re-read, so a removed friend's
 * presence stops at the moment the change is heard; the re-read brings back anyone still visible
 * by another edge. In a cluster each node hears the changes through its own adapter's feed.
 */

import type { UserId } from '../../domain/user-id.js';
import {
  type FriendsGraph,
  type FriendsGraphChange,
  viewersAffectedBy,
} from '../../ports/friends-graph.js';
import type { Logger } from '../../ports/logger.js';
import type { SessionRegistry } from './session-registry.js';

export function followGraphChanges(
  graph: FriendsGraph,
  sessions: SessionRegistry,
  logger: Logger,
): () => void {
  return graph.subscribe((change) => {
    try {
      applyGraphChange(change, sessions);
    } catch (err) {
      logger.error({ err, change: change.kind }, 'applying a friends graph change failed');
    }
  });
}

export function applyGraphChange(change: FriendsGraphChange, sessions: SessionRegistry): void {
  const viewers = viewersAffectedBy(change);
  if (viewers === 'everyone') {
    for (const session of sessions.all()) session.resubscribe();
    return;
  }
  for (const viewer of new Set(viewers)) {
    const lost = lostBy(change, viewer);
    for (const session of sessions.ofUser(viewer)) {
      if (lost === undefined) session.resubscribe();
      else session.unsubscribeNow([lost]);
    }
  }
}

/** The user `viewer` stops seeing through this change, if it removes an edge. */
function lostBy(change: FriendsGraphChange, viewer: UserId): UserId | undefined {
  if (change.kind !== 'edge-removed') return undefined;
  return viewer === change.source ? change.target : change.source;
}
