import { describe, expect, it } from 'vitest';
import { expectNodeCpuPerConnect, expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- failover (tiny)', () => {
  it('a killed node’s users go offline everywhere, come back on the survivor, nobody else is hit', async () => {
    const run = await runLoad('failover', [
      ...['--duration', '5', '--rate', '20', '--down-period-ms', '1000'],
      ...['--reconnect-jitter-ms', '300'],
    ]);
    expectWellFormed(run, 'failover', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['killedConnections']).toBeGreaterThan(0);
    expect(f['watchedKilledConnections']).toBeGreaterThan(0);
    expect(f['offlineEverywhere'].incomplete).toBe(0);
    expect(f['offlineEverywhere'].msAfterKill.count).toBe(f['watchedKilledConnections']);
    expect(f['reconnected'].notReconnected).toBe(0);
    expect(f['onlineAgain'].incomplete).toBe(0);
    expect(f['undisturbed']).toEqual({ spuriousLeaves: 0, survivorsDropped: 0 });
    // Every killed connection reconnected once: the connects of the reconnect storm.
    expectNodeCpuPerConnect(f, 'after-kill', f['killedConnections'], expect);
  }, 90_000);
});
