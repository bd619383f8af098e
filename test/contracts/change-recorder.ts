/**
 * Records what a friends-graph feed reports and lets a test wait for a condition on it, with
 * no sleeps: the promise settles on the change that makes the condition true.
 */
import type { FriendsGraph, FriendsGraphChange } from '../../src/ports/friends-graph.js';

export interface ChangeRecorder {
  readonly changes: FriendsGraphChange[];
  waitFor(condition: (changes: readonly FriendsGraphChange[]) => boolean): Promise<void>;
  stop(): void;
}

export function recordChanges(graph: FriendsGraph): ChangeRecorder {
  const changes: FriendsGraphChange[] = [];
  const waiters = new Set<() => void>();
  const stop = graph.subscribe((change) => {
    changes.push(change);
    for (const check of [...waiters]) check();
  });
  return {
    changes,
    stop,
    waitFor(condition) {
      return new Promise((resolve) => {
        const check = () => {
          if (!condition(changes)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Undirected edges have no natural order; compare them as sorted pairs. */
export function describeChange(change: FriendsGraphChange): string {
  switch (change.kind) {
    case 'edge-added':
    case 'edge-removed': {
      const pair = change.directed
        ? `${change.source} -> ${change.target}`
        : [change.source, change.target].sort().join(' -- ');
      return `${change.kind} ${pair}`;
    }
    case 'visibility-changed':
      return `visibility-changed ${[...change.viewers].sort().join(',')}`;
    case 'reset':
      return 'reset';
  }
}

export function hasEdgeChange(
  changes: readonly FriendsGraphChange[],
  kind: 'edge-added' | 'edge-removed',
  source: string,
  target: string,
): boolean {
  return changes.some(
    (change) =>
      change.kind === kind &&
      ((change.source === source && change.target === target) ||
        (!change.directed && change.source === target && change.target === source)),
  );
}
