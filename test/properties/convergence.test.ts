import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreCluster, stepArb } from './core-cluster.js';

const scenario = fc
  .integer({ min: 2, max: 5 })
  .chain((size) =>
    fc.tuple(
      fc.constant(size),
      fc.array(stepArb(size), { minLength: 10, maxLength: 200, size: 'max' }),
    ),
  );

describe('replicas under any delivery order, duplication and loss', () => {
  it('report every visible change exactly once, at every step', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size);
        for (const step of steps) {
          cluster.run(step);
          for (let i = 0; i < size; i++) {
            expect(cluster.mirrorIds(i)).toEqual(cluster.visible(i));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('converge to the same visible set, equal to what the owners hold, after transfers', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size);
        for (const step of steps) cluster.run(step);
        cluster.heal();
        const truth = cluster.truth();
        for (let i = 0; i < size; i++) {
          expect(cluster.visible(i)).toEqual(truth);
          expect(cluster.mirrorIds(i)).toEqual(truth);
          expect(cluster.contexts(i)).toEqual(cluster.contexts(0));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('converge with large snapshot chunks and default delta generations too', () => {
    fc.assert(
      fc.property(scenario, ([size, steps]) => {
        const cluster = new CoreCluster(size, { chunkSize: 10_000, maxDeltaSizes: [100, 1000] });
        for (const step of steps) cluster.run(step);
        cluster.heal();
        for (let i = 0; i < size; i++) expect(cluster.visible(i)).toEqual(cluster.truth());
      }),
      { numRuns: 150 },
    );
  });
});
