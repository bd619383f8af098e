/**
 * How statuses combine when one user has several connections: one rule, shared by the server's
 * presence query (src/query) and the client SDK (`statusOf`), so both give the same answer.
 * Pure and dependency-free: the browser bundle imports it.
 *
 * `online` beats `away`, which beats any other status; among others, the least in code-unit
 * order, so the answer never depends on which node or connection was read first. A user with no
 * visible connection is `offline`.
 */

export const ONLINE_STATUS = 'online';
export const AWAY_STATUS = 'away';
export const OFFLINE_STATUS = 'offline';

function rank(status: string): number {
  if (status === ONLINE_STATUS) return 2;
  if (status === AWAY_STATUS) return 1;
  return 0;
}

/** The stronger of two statuses (see the module comment). */
export function strongerStatus(a: string, b: string): string {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank > 0 ? a : b;
  return a <= b ? a : b;
}

/** One connection, as the aggregation reads it: its status and the group it counts under. */
export interface StatusEntry {
  readonly status: string;
  readonly group: string;
}

export interface AggregateStatus {
  /** The strongest status of all entries; `offline` when there are none. */
  readonly status: string;
  /** Group → the strongest status of its entries (null prototype: groups come from clients). */
  readonly groups: Readonly<Record<string, string>>;
}

/** The strongest status overall and per group of `entries` (all of one user's connections). */
export function aggregateStatus(entries: Iterable<StatusEntry>): AggregateStatus {
  const groups: Record<string, string> = Object.create(null);
  let status: string | undefined;
  for (const entry of entries) {
    const before = groups[entry.group];
    groups[entry.group] =
      before === undefined ? entry.status : strongerStatus(before, entry.status);
    status = status === undefined ? entry.status : strongerStatus(status, entry.status);
  }
  return { status: status ?? OFFLINE_STATUS, groups };
}
