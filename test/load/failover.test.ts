import { describe, expect, it } from 'vitest';
import { expectNodeCpuPerConnect, expectWellFormed, runLoad } from './run-load.js';

describe('npm run load -- failover (tiny)', () => {
  it('a killed node’s devices come back on the survivor within the grace and take their entries over: friends see nothing, nobody else is hit', async () => {
    const run = await runLoad('failover', [
      ...['--duration', '20', '--rate', '20', '--down-period-ms', '1000'],
      ...['--crash-grace-ms', '3000', '--reconnect-jitter-ms', '300'],
    ]);
    expectWellFormed(run, 'failover', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expect(f['crashGraceMs']).toBe(3000);
    expect(f['killedConnections']).toBeGreaterThan(0);
    expect(f['watchedKilledConnections']).toBeGreaterThan(0);
    expect(f['reconnected'].notReconnected).toBe(0);
    // Every killed connection was back within the grace: a silent takeover each.
    expect(f['notBackInGrace']).toBe(0);
    expect(f['takenOver']).toEqual({
      connections: f['killedConnections'],
      leavesSeen: 0,
      joinsSeen: 0,
    });
    expect(f['seenOfflineByFriends']).toBe(0);
    expect(f['offlineEverywhere'].incomplete).toBe(0);
    expect(f['onlineAgain'].incomplete).toBe(0);
    expect(f['undisturbed']).toEqual({ spuriousLeaves: 0, survivorsDropped: 0 });
    expect(f['survivorLoopLagMaxMs']).not.toBeNull();
    // Every killed connection reconnected once: the connects of the reconnect storm.
    expectNodeCpuPerConnect(f, 'after-kill', f['killedConnections'], expect);
  }, 120_000);

  it('without a crash grace, devices back after the down go offline everywhere and come back', async () => {
    const run = await runLoad('failover', [
      ...['--duration', '15', '--rate', '20', '--down-period-ms', '1000'],
      ...['--crash-grace-ms', '0', '--reconnect-jitter-ms', '6000'],
    ]);
    expectWellFormed(run, 'failover', expect);
    const f = run.json.figures;
    expect(f['reconnected'].notReconnected).toBe(0);
    expect(f['undisturbed']).toEqual({ spuriousLeaves: 0, survivorsDropped: 0 });
    // Back before the down: still a silent takeover (the entry was not seen gone yet).
    expect(f['takenOver'].leavesSeen).toBe(0);
    // Back after it (the jitter spreads them over 6 s): they left for every observer, then joined.
    expect(f['notBackInGrace']).toBeGreaterThan(0);
    expect(f['offlineEverywhere'].incomplete).toBe(0);
    expect(f['onlineAgain'].incomplete).toBe(0);
  }, 120_000);

  it('--webhooks: no user.offline for users back within the grace', async () => {
    const run = await runLoad(
      'failover',
      [
        ...['--duration', '20', '--rate', '20', '--down-period-ms', '1000'],
        ...['--crash-grace-ms', '3000', '--reconnect-jitter-ms', '300', '--webhooks'],
      ],
      'load-failover-webhooks',
    );
    expectWellFormed(run, 'failover', expect);
    const f = run.json.figures;
    expect(f['notBackInGrace']).toBe(0);
    expect(f['seenOfflineByFriends']).toBe(0);
    expect(f['webhooks'].expected.offline).toBe(0);
    expect(f['webhooks'].offline).toBe(0);
    expect(f['webhooks'].received.offline).toBe(0);
    expect(f['webhooks'].onlineTwiceInARow).toBe(0);
  }, 180_000);
});
