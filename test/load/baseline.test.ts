import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- baseline (tiny)', () => {
  it('plain socket.io rooms deliver every status update to every connection that sees its user', async () => {
    const run = await runLoad('baseline', ['--nodes', '1', '--duration', '3', '--rate', '30']);
    expectWellFormed(run, 'baseline', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['updatesAcked']).toBeGreaterThan(0);
    expect(f['updatesRejected']).toBe(0);
    expect(f['deliveries'].updatesAcked).toBe(f['updatesAcked']);
    expect(f['deliveries'].expected).toBeGreaterThan(0);
    expect(f['deliveries'].lost).toBe(0);
    expect(f['deliveries'].extra).toBe(0);
    expect(f['droppedConnections']).toBe(0);
    expect(f['rates']).toHaveLength(1);
    expect(f['nodeEventLoopLag']).toHaveLength(1);
    expect(run.json.options['nodes']).toBe(1);
  }, 90_000);

  it('steady --baseline --rates runs both servers at each rate and saves the comparison', async () => {
    const run = await runLoad('steady', ['--baseline', '--duration', '2', '--rates', '10,20']);
    expectWellFormed(run, 'steady', expect);
    const f = run.json.figures;
    expect(f['rates'].map((r: { rate: number }) => r.rate)).toEqual([10, 20]);
    expect(f['deliveries'].lost).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: the record is JSON read back, checked field by field
    const json = run.json as any;
    expect(json.baseline.server).toBe('baseline');
    expect(json.baseline.figures.deliveries.lost).toBe(0);
    expect(json.comparison.rates).toHaveLength(2);
    expect(run.stdout).toContain('vs plain socket.io baseline');
  }, 150_000);
});
