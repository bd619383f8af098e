/**
 * Idle tracking on a manual clock: `away` after idleAfterMs without activity and back on
 * activity, one status per transition however many input events arrive, and the app's own
 * status winning over idleness.
 */
import { describe, expect, it } from 'vitest';
import { IdleAway, idleAfterMsProblem } from '../../src/client/idle-away.js';
import { ManualClock } from '../support/manual-clock.js';

const MINUTE = 60_000;

function tracker(appStatus = 'online', idleAfterMs = 5 * MINUTE) {
  const clock = new ManualClock();
  const shown: string[] = [];
  const idle = new IdleAway(idleAfterMs, appStatus, clock, (status) => shown.push(status));
  idle.start();
  return { clock, shown, idle };
}

describe('IdleAway', () => {
  it('shows away once after idleAfterMs without activity, and online once on activity', () => {
    const { clock, shown, idle } = tracker();
    clock.advance(5 * MINUTE - 1);
    expect(shown).toEqual([]);
    clock.advance(1);
    expect(shown).toEqual(['away']);
    expect(idle.status).toBe('away');
    clock.advance(60 * MINUTE);
    expect(shown).toEqual(['away']);
    idle.activity();
    expect(shown).toEqual(['away', 'online']);
    expect(idle.status).toBe('online');
    expect(idle.idle).toBe(false);
  });

  it('many input events make no update, and each one pushes away back by idleAfterMs', () => {
    const { clock, shown, idle } = tracker();
    for (let i = 0; i < 1_000; i++) {
      clock.advance(1_000);
      idle.activity();
    }
    expect(shown).toEqual([]);
    // One timer at most, whatever the number of events.
    expect(clock.pending).toBe(1);
    clock.advance(5 * MINUTE - 1);
    expect(shown).toEqual([]);
    clock.advance(1);
    expect(shown).toEqual(['away']);
    // A burst of activity while away: one update back, then quiet.
    for (let i = 0; i < 100; i++) idle.activity();
    expect(shown).toEqual(['away', 'online']);
  });

  it('leaves a status other than online alone: busy stays busy when idle', () => {
    const { clock, shown, idle } = tracker('busy');
    clock.advance(10 * MINUTE);
    expect(idle.idle).toBe(true);
    expect(idle.status).toBe('busy');
    idle.activity();
    expect(shown).toEqual([]);
  });

  it("the app's status set while away wins, is not shown again, and counts as activity", () => {
    const { clock, shown, idle } = tracker();
    clock.advance(5 * MINUTE);
    expect(shown).toEqual(['away']);
    idle.setAppStatus('dnd'); // the app sends this update itself
    expect(idle.status).toBe('dnd');
    expect(idle.idle).toBe(false);
    idle.activity();
    clock.advance(30 * MINUTE);
    expect(shown).toEqual(['away']); // dnd is never replaced by away
    idle.setAppStatus('online');
    clock.advance(5 * MINUTE - 1);
    expect(shown).toEqual(['away']); // counted from the setStatus
    clock.advance(1);
    expect(shown).toEqual(['away', 'away']);
    idle.activity();
    expect(shown).toEqual(['away', 'away', 'online']);
  });

  it('setting online while away restores online without a second update from idleness', () => {
    const { clock, shown, idle } = tracker();
    clock.advance(5 * MINUTE);
    idle.setAppStatus('online');
    idle.activity();
    expect(shown).toEqual(['away']);
    expect(idle.status).toBe('online');
  });

  it('0 turns it off; stop leaves no timer; bad values are named', () => {
    const off = tracker('online', 0);
    off.clock.advance(60 * MINUTE);
    off.idle.activity();
    expect(off.shown).toEqual([]);
    expect(off.clock.pending).toBe(0);

    const { clock, shown, idle } = tracker();
    idle.stop();
    expect(clock.pending).toBe(0);
    clock.advance(60 * MINUTE);
    expect(shown).toEqual([]);

    expect(idleAfterMsProblem(0)).toBeUndefined();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5000']) {
      expect(idleAfterMsProblem(bad)).toMatch(/^idleAfterMs must be a whole number/);
    }
  });
});
