import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresenceState, type TransferPart } from '../../src/core/index.js';
import { CoreCluster, presenceId, stepArb } from './core-cluster.js';

/** Random activity on three replicas, with partial, lossy syncing between them. */
const activity = fc.array(stepArb(3), { minLength: 10, maxLength: 150, size: 'max' });

/** A fresh observer that knows the cluster's replicas and holds nothing yet. */
function observer(cluster: CoreCluster, name = 'observer'): PresenceState {
  const state = new PresenceState({ name, vsn: 1 }, { snapshotChunkSize: 2 });
  for (const ref of cluster.refs) state.replicaUp(ref);
  return state;
}

/** Merges everything `source` knows that `target` lacks (a full anti-entropy exchange). */
function mergeFrom(target: PresenceState, source: PresenceState): number {
  const parts: TransferPart[] = source.extract(target.self.ref, target.clock(), 'law');
  let events = 0;
  for (const part of parts) {
    const { change } = target.mergeTransfer(part);
    events += change.joins.length + change.leaves.length;
  }
  return events;
}

function snapshot(state: PresenceState): { visible: string[]; clock: [string, number][] } {
  const visible: string[] = [];
  for (let t = 0; t < 4; t++) visible.push(...state.list(`t${t}`).map(presenceId));
  const clock = [...state.clock()].filter(([key]) => key !== state.self.key).sort();
  return { visible: visible.sort(), clock };
}

describe('merge laws on replica states', () => {
  it('merge is commutative: A then B equals B then A', () => {
    fc.assert(
      fc.property(activity, (steps) => {
        const cluster = new CoreCluster(3);
        for (const step of steps) cluster.run(step);
        const [a, b] = cluster.states as [PresenceState, PresenceState];
        const ab = observer(cluster);
        mergeFrom(ab, a);
        mergeFrom(ab, b);
        const ba = observer(cluster);
        mergeFrom(ba, b);
        mergeFrom(ba, a);
        expect(snapshot(ab)).toEqual(snapshot(ba));
      }),
      { numRuns: 200 },
    );
  });

  it('merge is associative: (A ∪ B) ∪ C equals A ∪ (B ∪ C)', () => {
    fc.assert(
      fc.property(activity, (steps) => {
        const cluster = new CoreCluster(3);
        for (const step of steps) cluster.run(step);
        const [a, b, c] = cluster.states as [PresenceState, PresenceState, PresenceState];
        const left = observer(cluster, 'left');
        const ab = observer(cluster, 'ab');
        mergeFrom(ab, a);
        mergeFrom(ab, b);
        mergeFrom(left, ab);
        mergeFrom(left, c);
        const right = observer(cluster, 'right');
        const bc = observer(cluster, 'bc');
        mergeFrom(bc, b);
        mergeFrom(bc, c);
        mergeFrom(right, a);
        mergeFrom(right, bc);
        expect(snapshot(left)).toEqual(snapshot(right));
      }),
      { numRuns: 200 },
    );
  });

  it('merge is idempotent: merging the same state again changes and reports nothing', () => {
    fc.assert(
      fc.property(activity, (steps) => {
        const cluster = new CoreCluster(3);
        for (const step of steps) cluster.run(step);
        const target = observer(cluster);
        mergeFrom(target, cluster.states[0]!);
        mergeFrom(target, cluster.states[1]!);
        const before = snapshot(target);
        // replay the same parts: a transfer that is duplicated in flight
        const parts = cluster.states[1]!.extract(
          target.self.ref,
          new Map(before.clock.concat([[target.self.key, 0]])),
          'again',
        );
        let events = 0;
        for (const part of parts) {
          const { change } = target.mergeTransfer(part);
          events += change.joins.length + change.leaves.length;
        }
        expect(events).toBe(0);
        expect(snapshot(target)).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});

describe('deltas and full state', () => {
  it('applying every delta in order equals merging the full state once', () => {
    fc.assert(
      fc.property(fc.array(stepArb(1), { minLength: 5, maxLength: 150, size: 'max' }), (steps) => {
        const cluster = new CoreCluster(1);
        const byDeltas = observer(cluster, 'deltas');
        for (const step of steps) {
          if (step.kind !== 'broadcast') cluster.run(step);
          else {
            const window = cluster.states[0]!.takeDelta();
            if (window) expect(byDeltas.mergeDelta(window).status).toBe('applied');
          }
        }
        const last = cluster.states[0]!.takeDelta();
        if (last) byDeltas.mergeDelta(last);
        const byState = observer(cluster, 'state');
        mergeFrom(byState, cluster.states[0]!);
        expect(snapshot(byDeltas)).toEqual(snapshot(byState));
        expect(snapshot(byState).visible).toEqual(cluster.truth());
      }),
      { numRuns: 200 },
    );
  });
});

describe('permdown', () => {
  it('leaves nothing of a permdowned replica, and later data about it is ignored', () => {
    fc.assert(
      fc.property(activity, fc.nat({ max: 2 }), (steps, gone) => {
        const cluster = new CoreCluster(3);
        for (const step of steps) cluster.run(step);
        cluster.heal();
        const watcher = (gone + 1) % 3;
        const third = (gone + 2) % 3;
        const state = cluster.states[watcher]!;
        const ref = cluster.refs[gone]!;
        cluster.observe(watcher, state.replicaPermdown(ref));
        const leftovers = () =>
          cluster.visible(watcher).filter((id) => id.startsWith(cluster.key(gone)));
        expect(leftovers()).toEqual([]);
        expect(state.knows(ref)).toBe(false);
        expect(state.clock().has(cluster.key(gone))).toBe(false);
        expect(state.entryCount(ref)).toBe(0);
        expect(state.replicas().some((r) => r.name === ref.name)).toBe(false);
        // the gone replica keeps talking, and a third replica still holds its rows
        cluster.states[gone]!.track('t0', 'late', 'late', { v: 1 });
        const window = cluster.states[gone]!.takeDelta()!;
        expect(state.mergeDelta(window).status).toBe('unknown-replica');
        for (const part of cluster.states[third]!.extract(
          cluster.refs[watcher]!,
          new Map([[cluster.key(gone), 0]]),
          'stale',
        )) {
          expect(state.mergeTransfer(part).change.joins).toEqual([]);
        }
        expect(leftovers()).toEqual([]);
        expect(state.entryCount(ref)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
