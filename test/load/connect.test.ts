import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- connect (tiny)', () => {
  it('opens every connection, each gets its presence_state, and reports memory per node', async () => {
    const run = await runLoad('connect', ['--duration', '1']);
    expectWellFormed(run, 'connect', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['connected']).toBe(60);
    expect(f['connectTimeouts']).toBe(0);
    expect(f['connectErrors']).toBe(0);
    expect(f['timeToPresenceStateMs'].count).toBe(60);
    expect(f['memoryPerNode']).toHaveLength(2);
    expect(
      f['memoryPerNode'].reduce((n: number, m: { connections: number }) => n + m.connections, 0),
    ).toBe(60);
    expect(Math.max(...run.json.series.map((p) => p.connected))).toBe(60);
  }, 90_000);
});
