/**
 * Held entries and lineage groups (src/core/presence-state.ts): a down replica's entries with a
 * lineage stay visible for its crash grace, and of one device's entries (topic, key, lineage) at
 * most one is visible, the same on every replica whatever the delivery order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineageOf, type Presence, replicaKey } from '../../src/core/index.js';
import { CoreCluster, presenceId, type Step, stepArb } from './core-cluster.js';

const groupOf = (p: Presence): string =>
  `${p.topic}|${p.key}|${lineageOf(p.meta)?.id ?? `${p.replica.key}.${p.counter}`}`;

/** Of each device's candidates, the one every replica must show (the core's ranking). */
function firstOfEachDevice(candidates: readonly { p: Presence; up: boolean }[]): string[] {
  const first = new Map<string, { p: Presence; up: boolean }>();
  for (const c of candidates) {
    const g = groupOf(c.p);
    const best = first.get(g);
    if (best === undefined || ranksBefore(c, best)) first.set(g, c);
  }
  return [...first.values()].map((c) => presenceId(c.p)).sort();
}

function ranksBefore(a: { p: Presence; up: boolean }, b: { p: Presence; up: boolean }): boolean {
  if (a.up !== b.up) return a.up;
  const sa = lineageOf(a.p.meta)!.since;
  const sb = lineageOf(b.p.meta)!.since;
  if (sa !== sb) return sa > sb;
  if (a.p.replica.key !== b.p.replica.key) return a.p.replica.key > b.p.replica.key;
  return a.p.counter > b.p.counter;
}

const scenario = fc
  .integer({ min: 2, max: 4 })
  .chain((size) =>
    fc.tuple(
      fc.constant(size),
      fc.array(stepArb(size, { release: true }), { minLength: 10, maxLength: 150, size: 'max' }),
    ),
  );

describe('lineage groups and held entries', () => {
  it('report every visible change exactly once, at every step, with releases', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size, { lineages: true });
        for (const step of steps) {
          cluster.run(step);
          for (let i = 0; i < size; i++) expect(cluster.mirrorIds(i)).toEqual(cluster.visible(i));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('converge, all up, to the first entry of each device', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size, { lineages: true });
        for (const step of steps) cluster.run(step);
        cluster.heal();
        const expected = firstOfEachDevice(
          cluster.states.flatMap((s, i) =>
            s.entriesOf(cluster.refs[i]!).map((p) => ({ p, up: true })),
          ),
        );
        for (let i = 0; i < size; i++) {
          expect(cluster.visible(i)).toEqual(expected);
          expect(cluster.mirrorIds(i)).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  /**
   * Replica 0 crashes: every survivor marks it down. Survivors keep tracking (reconnects of the
   * same devices take the held entries over) under any delivery order; a device with a held
   * entry never disappears before the release; after healing the survivors (and, or not, the
   * release at all of them), every survivor shows the same set: each device's first entry among
   * the survivors' own and replica 0's held ones.
   */
  it('converge on held entries of a crashed replica across survivors, in any delivery order', () => {
    const crash = fc
      .integer({ min: 2, max: 4 })
      .chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.array(stepArb(size, { release: false }), { maxLength: 60 }),
          fc.array(stepArb(size, { release: false }), { maxLength: 120, size: 'max' }),
          fc.boolean(),
        ),
      );
    fc.assert(
      fc.property(crash, ([size, before, after, release]) => {
        const cluster = new CoreCluster(size, { lineages: true });
        for (const step of before) cluster.run(step);
        cluster.heal();
        const crashed = cluster.refs[0]!;
        const held = cluster.states[0]!.entriesOf(crashed);
        const heldGroups = new Set(held.map(groupOf));
        const survivors = Array.from({ length: size - 1 }, (_, i) => i + 1);
        for (const i of survivors) cluster.observe(i, cluster.states[i]!.replicaDown(crashed));
        const survivorStep = (s: Step): boolean =>
          !('replica' in s && s.replica === 0) &&
          !('of' in s && s.of === 0) &&
          !(s.kind === 'requestTransfer' && s.from === 0);
        for (const step of after.filter(survivorStep)) {
          cluster.run(step);
          for (let i = 1; i < size; i++) dropMessagesTo0(cluster);
          for (const i of survivors) {
            expect(cluster.mirrorIds(i)).toEqual(cluster.visible(i));
            // Held devices never vanish before the release.
            const shown = new Set(
              cluster.states[i]!.list('t0')
                .concat(cluster.states[i]!.list('t1'), cluster.states[i]!.list('t2'))
                .concat(cluster.states[i]!.list('t3'))
                .map(groupOf),
            );
            for (const g of heldGroups) expect(shown.has(g)).toBe(true);
          }
        }
        healSurvivors(cluster, survivors);
        if (release) {
          for (const i of survivors) {
            for (;;) {
              const out = cluster.states[i]!.releaseHeld(crashed, 2);
              cluster.observe(i, out.change);
              if (!out.more) break;
            }
          }
        }
        const expected = firstOfEachDevice([
          ...survivors.flatMap((i) =>
            cluster.states[i]!.entriesOf(cluster.refs[i]!).map((p) => ({ p, up: true })),
          ),
          ...(release ? [] : held.map((p) => ({ p, up: false }))),
        ]);
        for (const i of survivors) {
          expect(cluster.visible(i)).toEqual(expected);
          expect(cluster.mirrorIds(i)).toEqual(expected);
        }
        expect(replicaKey(crashed)).toBe(cluster.key(0));
      }),
      { numRuns: 150 },
    );
  });
});

function dropMessagesTo0(cluster: CoreCluster): void {
  for (let m = cluster.inflight.length - 1; m >= 0; m--) {
    if (cluster.inflight[m]!.to === 0) cluster.inflight.splice(m, 1);
  }
}

function healSurvivors(cluster: CoreCluster, survivors: readonly number[]): void {
  for (const i of survivors) {
    for (const j of survivors) cluster.observe(i, cluster.states[i]!.replicaUp(cluster.refs[j]!));
  }
  for (const i of survivors) cluster.broadcast(i);
  const flush = () => {
    dropMessagesTo0(cluster);
    while (cluster.inflight.length > 0) {
      cluster.deliver(cluster.inflight.shift()!);
      dropMessagesTo0(cluster);
    }
  };
  flush();
  for (let round = 0; round < 3; round++) {
    for (const a of survivors) {
      for (const b of survivors) {
        if (a === b) continue;
        cluster.requestTransfer(a, b);
        flush();
      }
    }
  }
}
