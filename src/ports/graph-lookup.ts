/**
 * Asks the friends graph whom a user may see, bounded in time and checked in shape: a provider
 * that throws (even synchronously), hangs or answers garbage yields a GraphProviderError, never a
 * crash and never a subscription to something that is not a user id.
 */

import type { UserId } from '../domain/user-id.js';
import { GraphProviderError } from '../errors.js';
import type { Timers } from './clock.js';
import type { FriendsGraph } from './friends-graph.js';
import { withDeadline } from './graph-deadline.js';

export async function lookupVisible(
  graph: FriendsGraph,
  userId: UserId,
  timeoutMs: number,
  /** The server's timers. @default the system's */
  timers?: Timers,
): Promise<Set<UserId>> {
  let work: Promise<readonly UserId[]>;
  try {
    work = Promise.resolve(graph.visibleTo(userId));
  } catch (error) {
    work = Promise.reject(error);
  }
  let answer: unknown;
  try {
    answer = await withDeadline(work, timeoutMs, 'friends graph: visibleTo', timers);
  } catch (error) {
    if (error instanceof GraphProviderError) throw error;
    throw new GraphProviderError('PRESENCE_GRAPH_UNAVAILABLE', 'friends graph: visibleTo failed', {
      cause: error,
    });
  }
  if (!Array.isArray(answer)) {
    throw new GraphProviderError(
      'PRESENCE_GRAPH_INVALID_DATA',
      'friends graph: visibleTo did not answer an array',
    );
  }
  const visible = new Set<UserId>();
  for (const id of answer) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new GraphProviderError(
        'PRESENCE_GRAPH_INVALID_DATA',
        'friends graph: visibleTo answered something that is not a user id',
      );
    }
    if (id !== userId) visible.add(id);
  }
  return visible;
}
