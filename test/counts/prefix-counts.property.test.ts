/**
 * The core's maintained prefix counts (online users and connections) equal a brute-force count
 * over the stored entries of every replica that is up, after every step of any run: local
 * operations, deltas delivered in any order, duplicated or lost, transfers (windows and chunked
 * snapshots), replica down, up and permdown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Presence, PresenceState } from '../../src/core/index.js';
import { CoreCluster, type Step, stepArb } from '../properties/core-cluster.js';

const PREFIXES = ['user:', 'self:'];
// Two user topics (several keys on one make it a room-shaped slot), an invisible one, and a
// topic no prefix counts.
const TOPICS = ['user:a', 'user:b', 'self:a', 'lobby'];

type CountStep = Step | { kind: 'permdown'; replica: number; of: number };

function countStepArb(replicas: number): fc.Arbitrary<CountStep> {
  const replica = fc.nat({ max: replicas - 1 });
  return fc.oneof(
    { weight: 12, arbitrary: stepArb(replicas) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('permdown' as const), replica, of: replica }),
    },
  );
}

const scenario = fc
  .integer({ min: 2, max: 4 })
  .chain((size) =>
    fc.tuple(
      fc.constant(size),
      fc.array(countStepArb(size), { minLength: 10, maxLength: 200, size: 'max' }),
    ),
  );

/** Brute force: every stored entry of every replica that is up, grouped under the prefixes. */
function bruteForce(state: PresenceState, prefix: string): { presences: number; topics: number } {
  const visible: Presence[] = [];
  for (const ref of state.replicas()) {
    if (state.isUp(ref)) visible.push(...state.entriesOf(ref));
  }
  const mine = visible.filter((p) => p.topic.startsWith(prefix));
  return { presences: mine.length, topics: new Set(mine.map((p) => p.topic)).size };
}

function expectCountsExact(cluster: CoreCluster): void {
  for (const state of cluster.states) {
    for (const prefix of PREFIXES) {
      const counts = state.prefixCounts(prefix)!;
      expect({ presences: counts.presences, topics: counts.topics }).toEqual(
        bruteForce(state, prefix),
      );
    }
  }
}

function run(cluster: CoreCluster, step: CountStep): void {
  if (step.kind === 'permdown') {
    if (step.replica === step.of) return;
    const state = cluster.states[step.replica]!;
    cluster.observe(step.replica, state.replicaPermdown(cluster.refs[step.of]!));
    return;
  }
  cluster.run(step);
}

describe('online counts maintained per topic prefix', () => {
  it('equal a brute-force count after every step, down/up/permdown and transfers included', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size, { topics: TOPICS, countedTopicPrefixes: PREFIXES });
        for (const step of steps) {
          run(cluster, step);
          expectCountsExact(cluster);
        }
        cluster.heal();
        expectCountsExact(cluster);
      }),
      { numRuns: 300 },
    );
  });

  it('are the same on every replica once the network heals', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size, { topics: TOPICS, countedTopicPrefixes: PREFIXES });
        for (const step of steps) if (step.kind !== 'permdown') cluster.run(step);
        cluster.heal();
        const first = cluster.states[0]!.prefixCounts('user:')!;
        for (const state of cluster.states) {
          const counts = state.prefixCounts('user:')!;
          expect([counts.presences, counts.topics]).toEqual([first.presences, first.topics]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('are undefined for a prefix not counted, and overlapping prefixes are refused', async () => {
    const { PresenceState } = await import('../../src/core/index.js');
    const state = new PresenceState({ name: 'a', vsn: 1 }, { countedTopicPrefixes: ['user:'] });
    expect(state.prefixCounts('self:')).toBeUndefined();
    expect(
      () => new PresenceState({ name: 'a', vsn: 1 }, { countedTopicPrefixes: ['u', 'user:'] }),
    ).toThrow(/do not overlap/);
  });
});
