import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- connect --webhooks (tiny)', () => {
  it('runs without then with webhooks: one user.online per connected user, sent once, by one node', async () => {
    const run = await runLoad(
      'connect',
      ['--duration', '1', '--webhooks'],
      'load-connect-webhooks',
    );
    expectWellFormed(run, 'connect', expect);
    expect(run.stdout).toContain("webhooks' cost: connect without / with webhooks");
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    const w = f['webhooks'];
    expect(w.drained).toBe(true);
    expect(w.received.usersOnline).toBe(w.expected.online);
    expect(w.received.online).toBe(w.expected.online);
    expect(w.received.offline).toBe(0);
    expect(w.received.duplicates).toBe(0);
    expect(w.received.malformed).toBe(0);
    expect(w.onlineTwiceInARow).toBe(0);
    expect(w.signatures.checked).toBeGreaterThan(0);
    expect(w.signatures.bad).toBe(0);
    // Every event was sent by exactly one node and delivered at the first try.
    expect(w.nodes).toHaveLength(2);
    const sum = (key: string) =>
      w.nodes.reduce((n: number, m: Record<string, number>) => n + m[key]!, 0);
    expect(sum('delivered')).toBe(w.expected.online);
    expect(sum('failed')).toBe(0);
    expect(sum('dropped')).toBe(0);
    expect(w.deliveryDelayMs.count).toBe(w.expected.online);
    // The run without webhooks is kept beside it, and the comparison of both.
    const json = run.json as unknown as {
      withoutWebhooks: { figures: Record<string, unknown> };
      webhookCost: { connectionsPerSecond: unknown };
    };
    expect(json.withoutWebhooks.figures['gotPresenceState']).toBe(60);
    expect(json.withoutWebhooks.figures['webhooks']).toBeUndefined();
    expect(json.webhookCost.connectionsPerSecond).not.toBeNull();
  }, 120_000);
});
