import { describe, expect, it } from 'vitest';
import { expectNodeCpuPerConnect, expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- churn (tiny)', () => {
  it('joins and leaves keep going with no timeout, and observers on the other node see them', async () => {
    const run = await runLoad('churn', [
      '--duration',
      '5',
      '--rate',
      '40',
      '--churn-fraction',
      '0.3',
    ]);
    expectWellFormed(run, 'churn', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['churningConnections']).toBeGreaterThan(0);
    expect(f['joinsPerSecond']).toBeGreaterThan(0);
    expect(f['leavesPerSecond']).toBeGreaterThan(0);
    expect(f['connectTimeouts']).toBe(0);
    expect(f['connectErrors']).toBe(0);
    expect(f['droppedConnections']).toBe(0);
    expect(f['joinsWithoutPresenceStateAtEnd']).toBe(0);
    expect(f['stalenessMs'].joinCrossNode.count).toBeGreaterThan(0);
    expect(f['stalenessMs'].leaveCrossNode.count).toBeGreaterThan(0);
    expect(typeof f['backlogGrowing']).toBe('boolean');
    expectNodeCpuPerConnect(f, 'churn', undefined, expect);
  }, 90_000);
});
