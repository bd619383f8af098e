/**
 * Maintained counts of the visible presences and non-empty topics under a few topic prefixes
 * (the gateway counts `user:`: online users and their visible connections, cluster-wide).
 *
 * The topic index updates them on every link and unlink, the one place every visible change
 * passes through (local operations, merges, snapshots, replica up/down/permdown), so they are
 * exact by construction and read in O(1). The per-entry cost is a `startsWith` per configured
 * prefix, and nothing at all when none is configured.
 */

/** What a prefix counts, live: read it, never write it. */
export interface PrefixCounts {
  readonly prefix: string;
  /** Visible presences on topics with the prefix. */
  readonly presences: number;
  /** Topics with the prefix that have at least one visible presence. */
  readonly topics: number;
}

export class PrefixTally implements PrefixCounts {
  presences = 0;
  topics = 0;
  constructor(readonly prefix: string) {}
}

/**
 * The tallies of the configured prefixes. No prefix may start another one: a topic is counted
 * under exactly one prefix.
 */
export function createPrefixTallies(prefixes: readonly string[]): readonly PrefixTally[] {
  for (const [i, prefix] of prefixes.entries()) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new TypeError('countedTopicPrefixes: every prefix must be a non-empty string');
    }
    for (const [j, other] of prefixes.entries()) {
      if (i !== j && other.startsWith(prefix)) {
        throw new TypeError(
          `countedTopicPrefixes: "${prefix}" starts "${other}"; give prefixes that do not overlap`,
        );
      }
    }
  }
  return prefixes.map((prefix) => new PrefixTally(prefix));
}

/** The tally counting `topic`, if any. */
export function tallyOf(tallies: readonly PrefixTally[], topic: string): PrefixTally | undefined {
  for (const tally of tallies) if (topic.startsWith(tally.prefix)) return tally;
  return undefined;
}
