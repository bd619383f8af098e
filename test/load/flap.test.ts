import { describe, expect, it } from 'vitest';
import { expectWellFormed, runLoad } from './run-load.js';

const FLAP = ['--duration', '5', '--rate', '20', '--reconnect-jitter-ms', '300'];

describe('npm run load -- flap (tiny)', () => {
  it('devices dropping and coming back within the leave grace: no friend ever seen offline', async () => {
    const run = await runLoad('flap', FLAP);
    expectWellFormed(run, 'flap', expect);
    const f = run.json.figures;
    expect(f['flaps']).toBeGreaterThan(0);
    expect(f['friendsSeenOffline']).toBe(0);
    expect(f['connectTimeouts']).toBe(0);
    expect(f['connectErrors']).toBe(0);
    expect(f['connectedAtEnd']).toBe(60);
  }, 90_000);

  it('without the grace the same flaps show friends going offline (the count can fail)', async () => {
    const run = await runLoad('flap', [...FLAP, '--leave-grace-ms', '0']);
    const f = run.json.figures;
    expect(f['flaps']).toBeGreaterThan(0);
    expect(f['friendsSeenOffline']).toBeGreaterThan(0);
  }, 90_000);
});
