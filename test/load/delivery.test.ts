import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- delivery (tiny)', () => {
  it('every message is acked or handed to the fallback while devices move nodes: none lost', async () => {
    const run = await runLoad('delivery', [
      ...['--duration', '4', '--rate', '40', '--reconnect-rate', '10'],
      ...['--reconnect-jitter-ms', '300', '--deliver-timeout-ms', '2000'],
    ]);
    expectWellFormed(run, 'delivery', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['sent']).toBeGreaterThan(0);
    expect(f['httpErrors']).toEqual({});
    expect(f['lost']).toBe(0);
    expect(f['acked'] + f['fallback']).toBe(f['sent']);
    // Acks reach the server: a run where every message goes to the fallback is broken.
    expect(f['acked']).toBeGreaterThan(0);
    expect(f['misdelivered']).toBe(0);
    expect(f['unknownMessageArrivals']).toBe(0);
    expect(f['moves'].started).toBeGreaterThan(0);
    expect(f['moves'].back).toBe(f['moves'].started);
    expect(f['server'].deliveries.delivered).toBe(f['acked']);
    expect(f['server'].deliveries.failed).toBe(f['fallback']);
    expect(run.svg).toContain('send → result p99');
  }, 90_000);
});
