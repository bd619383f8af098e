/** The re-check rounds' spread and bound, on a manual clock (the sockets are in test/security). */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { GatewayStats } from '../../src/gateway/presence-gateway.js';
import {
  type Recheckable,
  resolveSubscriptionRecheck,
  SubscriptionRecheck,
} from '../../src/gateway/session/subscription-recheck.js';
import { registerSubscriptionRecheckMetrics } from '../../src/http/subscription-recheck-metrics.js';
import { silentLogger } from '../../src/ports/logger.js';
import { ManualClock } from '../support/manual-clock.js';

function connections(count: number) {
  const checked: number[] = Array(count).fill(0);
  const list: Recheckable[] = checked.map((_, i) => ({
    recheck: async () => {
      checked[i]!++;
      return i === 0 ? 1 : 0;
    },
  }));
  return { list, checked };
}

describe('SubscriptionRecheck', () => {
  it('re-checks every connection once per interval, spread over it', async () => {
    const clock = new ManualClock();
    const { list, checked } = connections(100);
    const recheck = new SubscriptionRecheck(
      () => [...list],
      resolveSubscriptionRecheck({ intervalMs: 10_000, maxLookupsPerSecond: 1_000, clock }),
      silentLogger,
    );
    clock.advance(10_000); // the first round starts one interval in: 10 a second
    expect(checked.filter((n) => n === 1)).toHaveLength(10);
    clock.advance(9_000);
    expect(checked.every((n) => n === 1)).toBe(true);
    clock.advance(500); // the next round is not due yet
    expect(recheck.stats().rechecks).toBe(100);
    clock.advance(10_000);
    expect(checked.every((n) => n === 2)).toBe(true);
    await Promise.resolve();
    expect(recheck.stats().corrections).toBe(2);
    recheck.close();
    expect(clock.pending).toBe(0);
  });

  it('never makes more lookups a second than maxLookupsPerSecond (a round then takes longer)', () => {
    const clock = new ManualClock();
    const { list, checked } = connections(100);
    const recheck = new SubscriptionRecheck(
      () => [...list],
      resolveSubscriptionRecheck({ intervalMs: 10_000, maxLookupsPerSecond: 4, clock }),
      silentLogger,
    );
    clock.advance(10_000);
    expect(recheck.stats().rechecks).toBe(4);
    clock.advance(10_000);
    expect(recheck.stats().rechecks).toBe(44);
    clock.advance(14_000); // 25 s for the round of 100
    expect(checked.every((n) => n === 1)).toBe(true);
    // Overdue, the next round starts at once, at the same rate.
    clock.advance(1_000);
    expect(recheck.stats().rechecks).toBe(104);
    recheck.close();
  });

  it('refuses a bad interval or rate, naming the option', () => {
    expect(() => resolveSubscriptionRecheck({ intervalMs: 1.5 })).toThrow(/intervalMs/);
    expect(() => resolveSubscriptionRecheck({ maxLookupsPerSecond: 0 })).toThrow(
      /maxLookupsPerSecond/,
    );
    expect(resolveSubscriptionRecheck()).toMatchObject({
      intervalMs: 600_000,
      maxLookupsPerSecond: 50,
    });
  });

  it('exports the corrections as a counter', async () => {
    const registry = new Registry();
    const stats = { subscriptionCorrections: 3 } as GatewayStats;
    registerSubscriptionRecheckMetrics(registry, () => stats);
    expect(await registry.metrics()).toContain('presence_subscription_corrections_total 3');
  });
});
