/**
 * Finding 6 of issue 11: with only a longer broadcast period set, an idle replica's heartbeats
 * (one every maxSilentPeriods + 1 ticks) came less often than the fixed 30 s down period, so a
 * quiet node was marked down and up again and its users left and rejoined everywhere. The down
 * period now follows the heartbeat interval (Phoenix: broadcast × maxSilentPeriods × 2), and an
 * explicit one shorter than the idle heartbeat interval is refused.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import {
  idleHeartbeatIntervalMs,
  minimumDownPeriodMs,
  resolveTiming,
} from '../../src/runtime/replica-options.js';
import { type ReplicaEvent, TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { SimNetwork, SimWorld } from '../simulation/sim-network.js';
import { seededRandom } from '../support/seeded-random.js';

describe('an idle replica with a long broadcast period', () => {
  it('is never marked down while it stays idle for several down periods', () => {
    const world = new SimWorld();
    const network = new SimNetwork(world, seededRandom(11));
    const boot = (name: string, vsn: number) => {
      const replica = new TrackerReplica({
        name,
        vsn,
        broadcastPeriodMs: 3_000, // the only timing option set, as in the report
        transport: network.join(name),
        clock: world,
        timers: world,
        random: () => 0,
      });
      const events: ReplicaEvent[] = [];
      replica.on('replica', (event) => events.push(event));
      replica.start();
      return { replica, events };
    };
    const quiet = boot('quiet', 1);
    const busy = boot('busy', 2);
    quiet.replica.track('user:alice', 'alice', 'c1', { online_at: 1 });
    const leaves: string[] = [];
    busy.replica.on('diff', (change) => leaves.push(...change.leaves.map((p) => p.key)));

    // The busy node keeps changing; the quiet one only heartbeats.
    const downPeriodMs = busy.replica.timing.downPeriodMs;
    for (let elapsed = 0; elapsed < 5 * downPeriodMs; elapsed += 1_000) {
      busy.replica.track('room:x', `u${elapsed}`, `c${elapsed}`, { n: elapsed });
      world.advance(1_000);
    }

    expect(busy.events.filter((e) => e.type !== 'up')).toEqual([]);
    expect(leaves).toEqual([]);
    expect(busy.replica.view.list('user:alice').map((p) => p.key)).toEqual(['alice']);
    expect(quiet.events.filter((e) => e.type !== 'up')).toEqual([]);
  });
});

describe('down period against the idle heartbeat interval', () => {
  it('derives the default the way Phoenix does (broadcast × maxSilentPeriods × 2), at least 30 s', () => {
    expect(resolveTiming().downPeriodMs).toBe(30_000);
    expect(resolveTiming({ broadcastPeriodMs: 3_000 }).downPeriodMs).toBe(60_000);
    expect(resolveTiming({ broadcastPeriodMs: 100 }).downPeriodMs).toBe(30_000);
    // With one silent period the product alone would leave no slack: the minimum wins.
    const one = resolveTiming({ broadcastPeriodMs: 20_000, maxSilentPeriods: 1 });
    expect(one.downPeriodMs).toBe(minimumDownPeriodMs(20_000, 1));
    expect(one.downPeriodMs).toBe(60_000);
    for (const timing of [resolveTiming(), one, resolveTiming({ broadcastPeriodMs: 3_000 })]) {
      expect(timing.downPeriodMs).toBeGreaterThan(
        idleHeartbeatIntervalMs(timing.broadcastPeriodMs, timing.maxSilentPeriods),
      );
    }
  });

  it('refuses an explicit down period an idle replica would outlast, naming what to raise', () => {
    // 11 ticks of 3 s between idle heartbeats: 30 s is too short.
    const tooShort = () => resolveTiming({ broadcastPeriodMs: 3_000, downPeriodMs: 30_000 });
    expect(tooShort).toThrow(InvalidOptionError);
    expect(tooShort).toThrow(/raise downPeriodMs to 36000/);
    expect(() =>
      resolveTiming({ broadcastPeriodMs: 3_000, maxSilentPeriods: 8, downPeriodMs: 30_000 }),
    ).not.toThrow();
    expect(() => resolveTiming({ broadcastPeriodMs: 3_000, downPeriodMs: 36_000 })).not.toThrow();
  });

  it('keeps a derived down period below the permdown period or says which to raise', () => {
    expect(() => resolveTiming({ broadcastPeriodMs: 60_000 })).toThrow(/permdownPeriodMs/);
  });
});
