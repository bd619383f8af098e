import { describe, expect, it } from 'vitest';
import { expectNodeCpuPerConnect, expectWellFormed, runLoad } from './run-load.js';

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
    expectNodeCpuPerConnect(f, 'ramp', 60, expect);
    expect(f['presenceStateMetasMean']).toBeGreaterThan(0);
    expect(run.stdout).toContain("nodes' CPU per connect (ramp)");
  }, 90_000);

  it('--baseline runs the same clients against hand-written socket.io and saves both CPU per connect', async () => {
    const run = await runLoad('connect', ['--duration', '1', '--baseline']);
    expectWellFormed(run, 'connect', expect);
    const f = run.json.figures;
    expect(f['gotPresenceState']).toBe(60);
    expectNodeCpuPerConnect(f, 'ramp', 60, expect);
    // biome-ignore lint/suspicious/noExplicitAny: the record is JSON read back, checked field by field
    const json = run.json as any;
    expect(json.baseline.server).toBe('baseline');
    expect(json.baseline.options.nodes).toBe(1);
    const base = json.baseline.figures;
    expect(base.gotPresenceState).toBe(60);
    expect(base.connectTimeouts).toBe(0);
    expect(base.connectErrors).toBe(0);
    expectNodeCpuPerConnect(base, 'ramp', 60, expect);
    // The same users connect in the same order: the baseline's states are built from who is online.
    expect(base.presenceStateMetasMean).toBeGreaterThan(0);
    expect(f['baseline'].nodeCpuMsPerConnect).toBe(base.nodeCpuMsPerConnect);
    expect(f['baseline'].connectionsPerSecond).toBe(base.connectionsPerSecond);
    const cpu = json.comparison.nodeCpuMsPerConnect;
    expect(cpu.ours).toBe(f['nodeCpuMsPerConnect']);
    expect(cpu.baseline).toBe(base.nodeCpuMsPerConnect);
    expect(cpu.ratio).toBeCloseTo(cpu.ours / cpu.baseline, 1);
    expect(run.stdout).toContain('vs hand-written socket.io');
    expect(run.stdout).toContain('load connect-baseline:');
  }, 150_000);
});
