import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- drain (tiny)', () => {
  it('a SIGTERMed node’s clients all move to the other node, no friend sees anyone offline, it exits 0', async () => {
    const run = await runLoad('drain', [
      ...['--duration', '30', '--rate', '20', '--drain-ms', '2000'],
      ...['--leave-grace-ms', '10000'],
    ]);
    expectWellFormed(run, 'drain', expect);
    const f = run.json.figures;
    expect(f['drainMs']).toBe(2000);
    expect(f['drainedConnections']).toBeGreaterThan(0);
    expect(f['moved']).toBe(f['drainedConnections']);
    expect(f['notMoved']).toBe(0);
    expect(f['msToAllMoved']).not.toBeNull();
    expect(f['exitCode']).toBe(0);
    expect(f['seenOfflineByFriends']).toBe(0);
    expect(f['connectedAtEnd']).toBe(60);
    expect(f['nodeCpuMsPerConnect']).not.toBeNull();
  }, 120_000);
});
