/**
 * OnlineTransitions against a model built from each user's visibility timeline: a user is online
 * from their first visible moment, and offline only after a gap of at least the delay without a
 * visible connection, as of the moment the gap began. Shorter gaps (a device move, a reconnect)
 * produce nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type OnlineTransition,
  OnlineTransitions,
} from '../../src/user-online/online-transitions.js';

const DELAY = 100;
const USERS = ['ann', 'bob', 'cyd'];

interface Step {
  readonly user: string;
  readonly visible: boolean;
  readonly advanceMs: number;
}

const step = fc.record({
  user: fc.constantFrom(...USERS),
  visible: fc.boolean(),
  advanceMs: fc.integer({ min: 0, max: 3 * DELAY }),
});

/** Runs the steps, calling `due` after each advance, then waits out every delay. */
function run(steps: readonly Step[]): OnlineTransition[] {
  const transitions = new OnlineTransitions(DELAY);
  const out: OnlineTransition[] = [];
  let now = 1_000;
  for (const { user, visible, advanceMs } of steps) {
    now += advanceMs;
    out.push(...transitions.due(now));
    const online = transitions.observe(user, visible, now);
    if (online) out.push(online);
  }
  out.push(...transitions.due(now + DELAY));
  return out;
}

/** The model: per user, online at the first visible moment; offline for each long enough gap. */
function expected(steps: readonly Step[]): OnlineTransition[] {
  const out: OnlineTransition[] = [];
  let now = 1_000;
  const state = new Map<string, { leftAt?: number }>();
  const settle = (until: number) => {
    for (const [user, s] of state) {
      if (s.leftAt !== undefined && s.leftAt + DELAY <= until) {
        out.push({ type: 'offline', user, at: s.leftAt, seq: -1 });
        state.delete(user);
      }
    }
  };
  for (const { user, visible, advanceMs } of steps) {
    now += advanceMs;
    settle(now);
    const s = state.get(user);
    if (visible) {
      if (s) s.leftAt = undefined;
      else {
        state.set(user, {});
        out.push({ type: 'online', user, at: now, seq: -1 });
      }
    } else if (s && s.leftAt === undefined) s.leftAt = now;
  }
  settle(now + DELAY);
  return out;
}

const withoutSeq = (t: OnlineTransition) => ({ type: t.type, user: t.user, at: t.at });
const perUser = (ts: readonly OnlineTransition[], user: string) =>
  ts.filter((t) => t.user === user).map(withoutSeq);

describe('OnlineTransitions', () => {
  it("gives each user exactly the model's transitions, alternating, with rising seqs", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const actual = run(steps);
        const model = expected(steps);
        for (const user of USERS) {
          expect(perUser(actual, user)).toEqual(perUser(model, user));
          const mine = actual.filter((t) => t.user === user);
          mine.forEach((t, i) => {
            expect(t.type).toBe(i % 2 === 0 ? 'online' : 'offline');
            if (i > 0) expect(t.seq).toBeGreaterThan(mine[i - 1]!.seq);
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('says nothing for a device move shorter than the delay', () => {
    const transitions = new OnlineTransitions(DELAY);
    expect(transitions.observe('ann', true, 0)?.type).toBe('online');
    expect(transitions.observe('ann', false, 10)).toBeUndefined();
    expect(transitions.nextDueAt()).toBe(10 + DELAY);
    expect(transitions.observe('ann', true, 10 + DELAY - 1)).toBeUndefined();
    expect(transitions.due(10_000)).toEqual([]);
    expect(transitions.isOnline('ann')).toBe(true);
  });

  it('flushes users within their delay as offline as of when they left', () => {
    const transitions = new OnlineTransitions(DELAY);
    transitions.observe('ann', true, 0);
    transitions.observe('bob', true, 0);
    transitions.observe('ann', false, 40);
    expect(transitions.flush()).toEqual([{ type: 'offline', user: 'ann', at: 40, seq: 40 }]);
    expect(transitions.onlineCount).toBe(1);
  });

  it('numbers an offline in the same millisecond as its online above it', () => {
    const transitions = new OnlineTransitions(DELAY);
    const online = transitions.observe('ann', true, 5);
    transitions.observe('ann', false, 5);
    const [offline] = transitions.due(5 + DELAY);
    expect(offline!.seq).toBeGreaterThan(online!.seq);
  });
});
