import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- steady (tiny)', () => {
  it('delivers every status update to every connection that sees its user: none lost', async () => {
    const run = await runLoad('steady', ['--duration', '3', '--rate', '30']);
    expectWellFormed(run, 'steady', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['updatesAcked']).toBeGreaterThan(0);
    expect(f['updatesRejected']).toBe(0);
    expect(f['deliveries'].updatesAcked).toBe(f['updatesAcked']);
    expect(f['deliveries'].expected).toBeGreaterThan(0);
    expect(f['deliveries'].lost).toBe(0);
    expect(f['deliveries'].extra).toBe(0);
    expect(f['fanOutMs'].sameNode.count + f['fanOutMs'].crossNode.count).toBe(
      f['deliveries'].received,
    );
    expect(f['fanOutMs'].crossNode.count).toBeGreaterThan(0);
    expect(f['droppedConnections']).toBe(0);
  }, 90_000);
});
