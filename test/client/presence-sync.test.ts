/**
 * The pure sync (src/client/presence-sync.ts) and the per-connection view (presence-view.ts):
 * the Phoenix JS client cases (phoenix `assets/test/presence_test.js`), prototype keys, pending
 * diffs, update classification, and a fast-check equivalence with the `phoenix` npm package.
 */
import fc from 'fast-check';
import { Presence as PhoenixPresence } from 'phoenix';
import { describe, expect, it } from 'vitest';
import type { UserPresenceChange } from '../../src/client/presence-changes.js';
import {
  emptyState,
  list,
  type OnJoin,
  type OnLeave,
  syncDiff,
  syncState,
} from '../../src/client/presence-sync.js';
import { PresenceView } from '../../src/client/presence-view.js';
import type { PhoenixMeta, PresenceMap } from '../../src/domain/client-protocol.js';

type State = PresenceMap<PhoenixMeta>;

const snapshot = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

/** Parses JSON text, as socket.io delivers payloads: `__proto__` becomes an own key. */
const wire = (text: string): State => JSON.parse(text) as State;

/** Records callbacks with snapshots of their arguments. */
function recorder() {
  const joined: Record<string, { current: unknown; newPres: unknown }> = Object.create(null);
  const left: Record<string, { current: unknown; leftPres: unknown }> = Object.create(null);
  const onJoin: OnJoin = (key, current, newPres) => {
    joined[key] = { current: snapshot(current), newPres: snapshot(newPres) };
  };
  const onLeave: OnLeave = (key, current, leftPres) => {
    left[key] = { current: snapshot(current), leftPres: snapshot(leftPres) };
  };
  return { joined, left, onJoin, onLeave };
}

const fixtures = {
  joins: (): State => ({ u1: { metas: [{ id: 1, phx_ref: '1.2' }] } }),
  leaves: (): State => ({ u2: { metas: [{ id: 2, phx_ref: '2' }] } }),
  state: (): State => ({
    u1: { metas: [{ id: 1, phx_ref: '1' }] },
    u2: { metas: [{ id: 2, phx_ref: '2' }] },
    u3: { metas: [{ id: 3, phx_ref: '3' }] },
  }),
};

describe('syncState (Phoenix presence_test.js)', () => {
  it('syncs empty state', () => {
    const newState: State = { u1: { metas: [{ id: 1, phx_ref: '1' }] } };
    const state = emptyState();
    const newBefore = snapshot(newState);
    const result = syncState(state, newState);
    expect({ ...state }).toEqual({});
    expect(snapshot(newState)).toEqual(newBefore);
    expect(snapshot(result)).toEqual(newState);
    expect(Object.getPrototypeOf(result)).toBe(null);
  });

  it("onJoins new presences and onLeave's left presences", () => {
    const newState = fixtures.state();
    let state = syncState(emptyState(), { u4: { metas: [{ id: 4, phx_ref: '4' }] } });
    const { joined, left, onJoin, onLeave } = recorder();
    state = syncState(state, newState, onJoin, onLeave);
    expect(snapshot(state)).toEqual(newState);
    expect({ ...joined }).toEqual({
      u1: { current: undefined, newPres: { metas: [{ id: 1, phx_ref: '1' }] } },
      u2: { current: undefined, newPres: { metas: [{ id: 2, phx_ref: '2' }] } },
      u3: { current: undefined, newPres: { metas: [{ id: 3, phx_ref: '3' }] } },
    });
    expect({ ...left }).toEqual({
      u4: { current: { metas: [] }, leftPres: { metas: [{ id: 4, phx_ref: '4' }] } },
    });
  });

  it('onJoins only newly added metas', () => {
    const newState: State = {
      u3: {
        metas: [
          { id: 3, phx_ref: '3' },
          { id: 3, phx_ref: '3.new' },
        ],
      },
    };
    let state = syncState(emptyState(), { u3: { metas: [{ id: 3, phx_ref: '3' }] } });
    const { joined, left, onJoin, onLeave } = recorder();
    state = syncState(state, newState, onJoin, onLeave);
    expect(snapshot(state)).toEqual(newState);
    expect({ ...joined }).toEqual({
      u3: {
        current: { metas: [{ id: 3, phx_ref: '3' }] },
        newPres: { metas: [{ id: 3, phx_ref: '3.new' }] },
      },
    });
    expect({ ...left }).toEqual({});
  });

  it('keeps the current meta order: kept metas first, new ones last', () => {
    const state = syncState(emptyState(), {
      u1: {
        metas: [
          { phx_ref: 'a', n: 1 },
          { phx_ref: 'b', n: 1 },
        ],
      },
    });
    const next = syncState(state, {
      u1: {
        metas: [
          { phx_ref: 'c', n: 2 },
          { phx_ref: 'b', n: 2 },
        ],
      },
    });
    expect(next['u1']!.metas.map((m) => [m.phx_ref, m['n']])).toEqual([
      ['b', 1],
      ['c', 2],
    ]);
  });
});

describe('syncDiff (Phoenix presence_test.js)', () => {
  it('syncs empty state', () => {
    const joins: State = { u1: { metas: [{ id: 1, phx_ref: '1' }] } };
    const state = emptyState();
    syncDiff(state, { joins, leaves: {} });
    expect({ ...state }).toEqual({});
    expect(snapshot(syncDiff(state, { joins, leaves: {} }))).toEqual(joins);
  });

  it('removes presence when meta is empty and adds additional meta', () => {
    let state = syncState(emptyState(), fixtures.state());
    state = syncDiff(state, { joins: fixtures.joins(), leaves: fixtures.leaves() });
    expect(snapshot(state)).toEqual({
      u1: {
        metas: [
          { id: 1, phx_ref: '1' },
          { id: 1, phx_ref: '1.2' },
        ],
      },
      u3: { metas: [{ id: 3, phx_ref: '3' }] },
    });
  });

  it('removes meta while leaving key if other metas exist', () => {
    let state = syncState(emptyState(), {
      u1: {
        metas: [
          { id: 1, phx_ref: '1' },
          { id: 1, phx_ref: '1.2' },
        ],
      },
    });
    state = syncDiff(state, { joins: {}, leaves: { u1: { metas: [{ id: 1, phx_ref: '1' }] } } });
    expect(snapshot(state)).toEqual({ u1: { metas: [{ id: 1, phx_ref: '1.2' }] } });
  });

  it('an update (leave + join) ends with only the new meta, joins reported before leaves', () => {
    const state = syncState(emptyState(), { u1: { metas: [{ phx_ref: '1', status: 'on' }] } });
    const calls: string[] = [];
    const next = syncDiff(
      state,
      {
        joins: { u1: { metas: [{ phx_ref: '2', phx_ref_prev: '1', status: 'away' }] } },
        leaves: { u1: { metas: [{ phx_ref: '1', status: 'on' }] } },
      },
      (key, current) => calls.push(`join ${key} ${JSON.stringify(current)}`),
      (key, current) => calls.push(`leave ${key} ${JSON.stringify(current)}`),
    );
    expect(snapshot(next)).toEqual({
      u1: { metas: [{ phx_ref: '2', phx_ref_prev: '1', status: 'away' }] },
    });
    expect(calls).toEqual([
      'join u1 {"metas":[{"phx_ref":"1","status":"on"}]}',
      'leave u1 {"metas":[{"phx_ref":"2","phx_ref_prev":"1","status":"away"}]}',
    ]);
  });

  it('ignores a leave of an unknown key and accepts a diff without joins or leaves', () => {
    const state = syncState(emptyState(), fixtures.state());
    expect(
      snapshot(syncDiff(state, { leaves: { nobody: { metas: [{ phx_ref: 'x' }] } } })),
    ).toEqual(fixtures.state());
    expect(snapshot(syncDiff(state, {}))).toEqual(fixtures.state());
  });

  it('never mutates the state or the diff passed in', () => {
    const state = syncState(emptyState(), fixtures.state());
    const before = snapshot(state);
    const diff = { joins: fixtures.joins(), leaves: fixtures.leaves() };
    const diffBefore = snapshot(diff);
    syncDiff(state, diff);
    expect(snapshot(state)).toEqual(before);
    expect(snapshot(diff)).toEqual(diffBefore);
  });
});

describe('prototype keys', () => {
  const keys = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
  const stateText = `{${keys.map((k, i) => `"${k}":{"metas":[{"phx_ref":"${i}"}]}`).join(',')}}`;

  it('syncState joins and leaves them without touching the prototype', () => {
    const { joined, left, onJoin, onLeave } = recorder();
    const state = syncState(emptyState(), wire(stateText), onJoin, onLeave);
    expect(Object.getPrototypeOf(state)).toBe(null);
    expect(Object.keys(state)).toEqual(keys);
    expect(Object.keys(joined)).toEqual(keys);
    expect(state[keys[0]!]!.metas).toEqual([{ phx_ref: '0' }]);
    const empty = syncState(state, wire('{}'), onJoin, onLeave);
    expect(Object.keys(empty)).toEqual([]);
    expect(Object.keys(left)).toEqual(keys);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).not.toContain('metas');
    expect(({} as Record<string, unknown>)['metas']).toBeUndefined();
    expect(typeof Object.prototype.hasOwnProperty).toBe('function');
    expect(typeof Object.prototype.toString).toBe('function');
  });

  it('syncDiff joins and leaves them without touching the prototype', () => {
    let state = syncDiff(emptyState(), { joins: wire(stateText), leaves: wire('{}') });
    expect(Object.keys(state)).toEqual(keys);
    expect(list(state, (key) => key)).toEqual(keys);
    state = syncDiff(state, {
      joins: wire('{"constructor":{"metas":[{"phx_ref":"c2"}]}}'),
      leaves: wire('{"__proto__":{"metas":[{"phx_ref":"0"}]}}'),
    });
    expect(Object.keys(state)).toEqual(['constructor', 'hasOwnProperty', 'toString']);
    expect(state['constructor']!.metas.map((m) => m.phx_ref)).toEqual(['1', 'c2']);
    expect(Object.getPrototypeOf(state)).toBe(null);
    expect(typeof Object.prototype.constructor).toBe('function');
    expect(({} as Record<string, unknown>)['metas']).toBeUndefined();
  });
});

describe('list', () => {
  it('lists full presence by default', () => {
    const state = syncState(emptyState(), fixtures.state());
    expect(list(state)).toEqual([
      { metas: [{ id: 1, phx_ref: '1' }] },
      { metas: [{ id: 2, phx_ref: '2' }] },
      { metas: [{ id: 3, phx_ref: '3' }] },
    ]);
  });

  it('lists with custom function', () => {
    const state = syncState(emptyState(), {
      u1: {
        metas: [
          { id: 1, phx_ref: '1.first' },
          { id: 1, phx_ref: '1.second' },
        ],
      },
    });
    expect(list(state, (_key, { metas: [first] }) => first)).toEqual([
      { id: 1, phx_ref: '1.first' },
    ]);
  });
});

/** A view with its reported changes written as short strings. */
function recordingView() {
  const log: string[] = [];
  const describeChange = (c: UserPresenceChange): string => {
    const refs = (metas: readonly PhoenixMeta[]) => metas.map((m) => m.phx_ref).join(',');
    if (c.kind === 'join') return `join ${c.userId} +${refs(c.joined.metas)}`;
    if (c.kind === 'update') return `update ${c.userId} =${refs(c.presence.metas)}`;
    return `leave ${c.userId} -${refs(c.left.metas)} =${refs(c.current.metas)}`;
  };
  const view = new PresenceView({
    change: (c) => log.push(describeChange(c)),
    sync: () => log.push('sync'),
  });
  return { view, log };
}

describe('PresenceView: the Phoenix instance cases', () => {
  it('syncs state and diffs', () => {
    const { view, log } = recordingView();
    view.handleState({ u1: { metas: [{ id: 1, phx_ref: '1' }] } });
    expect(log).toEqual(['join u1 +1', 'sync']);
    view.handleDiff({ joins: {}, leaves: { u1: { metas: [{ id: 1, phx_ref: '1' }] } } });
    expect(log.slice(2)).toEqual(['leave u1 -1 =', 'sync']);
    expect(view.list()).toEqual([]);
  });

  it('applies pending diffs if state is not yet synced, and again after a reconnect', () => {
    const { view, log } = recordingView();
    view.handleDiff({ joins: {}, leaves: { u2: { metas: [{ phx_ref: '2' }] } } });
    view.handleDiff({ joins: { u3: { metas: [{ phx_ref: '3' }] } }, leaves: {} });
    expect(view.synced).toBe(false);
    expect(view.pendingDiffs).toBe(2);
    expect(log).toEqual([]);
    view.handleState({ u1: { metas: [{ phx_ref: '1' }] }, u2: { metas: [{ phx_ref: '2' }] } });
    expect(view.pendingDiffs).toBe(0);
    expect(view.list().map((u) => u.userId)).toEqual(['u1', 'u3']);
    expect(log).toEqual(['join u1 +1', 'join u3 +3', 'sync']);

    log.length = 0;
    view.handleDisconnect();
    view.handleDiff({ joins: {}, leaves: { u1: { metas: [{ phx_ref: '1' }] } } });
    expect(log).toEqual([]);
    expect(view.list().map((u) => u.userId)).toEqual(['u1', 'u3']);
    view.handleState({ u1: { metas: [{ phx_ref: '1' }] }, u4: { metas: [{ phx_ref: '4' }] } });
    expect(view.list().map((u) => u.userId)).toEqual(['u4']);
    expect(log).toEqual(['leave u1 -1 =', 'leave u3 -3 =', 'join u4 +4', 'sync']);
  });

  it('drops the diffs a lost connection queued: the next state already holds them', () => {
    const { view } = recordingView();
    view.handleDiff({ joins: { u9: { metas: [{ phx_ref: '9' }] } }, leaves: {} });
    view.handleDisconnect();
    view.handleState({ u1: { metas: [{ phx_ref: '1' }] } });
    expect(view.list().map((u) => u.userId)).toEqual(['u1']);
  });

  it('updates existing meta for a presence update (leave + join): one update, no leave', () => {
    const { view, log } = recordingView();
    view.handleState({ u1: { metas: [{ phx_ref: '1', status: 'online' }] } });
    log.length = 0;
    view.handleDiff({
      joins: { u1: { metas: [{ phx_ref: '2', phx_ref_prev: '1', status: 'away' }] } },
      leaves: { u1: { metas: [{ phx_ref: '1', status: 'online' }] } },
    });
    expect(log).toEqual(['update u1 =2', 'sync']);
    expect(view.get('u1')?.metas).toEqual([{ phx_ref: '2', phx_ref_prev: '1', status: 'away' }]);
  });

  it('classifies mixed changes of one user: a new device, an update, a device gone', () => {
    const { view, log } = recordingView();
    view.handleState({ u1: { metas: [{ phx_ref: 'a' }, { phx_ref: 'b' }] } });
    log.length = 0;
    view.handleDiff({
      joins: { u1: { metas: [{ phx_ref: 'c' }, { phx_ref: 'a2', phx_ref_prev: 'a' }] } },
      leaves: { u1: { metas: [{ phx_ref: 'a' }, { phx_ref: 'b' }] } },
    });
    expect(log).toEqual(['join u1 +c', 'update u1 =c,a2', 'leave u1 -b =c,a2', 'sync']);
  });

  it('an update seen across a reconnect (new ref with phx_ref_prev in the state) is an update', () => {
    const { view, log } = recordingView();
    view.handleState({ u1: { metas: [{ phx_ref: '1', status: 'online' }] } });
    view.handleDisconnect();
    log.length = 0;
    view.handleState({ u1: { metas: [{ phx_ref: '2', phx_ref_prev: '1', status: 'away' }] } });
    expect(log).toEqual(['update u1 =2', 'sync']);
  });

  it('a leave of an unknown ref and a re-sent known meta report nothing but sync', () => {
    const { view, log } = recordingView();
    view.handleState({ u1: { metas: [{ phx_ref: '1' }] } });
    log.length = 0;
    view.handleDiff({
      joins: { u1: { metas: [{ phx_ref: '1' }] } },
      leaves: { u1: { metas: [{ phx_ref: 'zz' }] }, u5: { metas: [{ phx_ref: '5' }] } },
    });
    expect(log).toEqual(['sync']);
  });
});

// ---------------------------------------------------------------------------------------------
// Equivalence with the `phoenix` npm package on random sequences.

const keyArb = fc.constantFrom(
  'u1',
  'u2',
  'u3',
  '0',
  '10',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
);
const refArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const metaArb = fc.record(
  {
    phx_ref: refArb,
    phx_ref_prev: refArb,
    status: fc.constantFrom('online', 'away'),
  },
  { requiredKeys: ['phx_ref'] },
);
const presenceArb = fc.record({ metas: fc.array(metaArb, { maxLength: 3 }) });
/** A state as JSON text, so `__proto__` is an ordinary key once parsed. */
const stateTextArb = fc
  .uniqueArray(fc.tuple(keyArb, presenceArb), { selector: ([key]) => key, maxLength: 5 })
  .map((entries) => `{${entries.map(([k, p]) => `${JSON.stringify(k)}:${JSON.stringify(p)}`)}}`);

type Op =
  | { kind: 'state'; text: string }
  | { kind: 'diff'; joins: string; leaves: string }
  | { kind: 'reconnect' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  stateTextArb.map((text) => ({ kind: 'state' as const, text })),
  fc
    .tuple(stateTextArb, stateTextArb)
    .map(([joins, leaves]) => ({ kind: 'diff' as const, joins, leaves })),
  fc.constant({ kind: 'reconnect' as const }),
);

/** The state as ordered `[key, presence]` pairs, so key order is compared too. */
const entries = (state: object) => list(state as State, (key, p) => [key, snapshot(p)]);

function callbackLog() {
  const log: unknown[] = [];
  const onJoin: OnJoin = (key, current, joined) =>
    log.push(['join', key, snapshot(current), snapshot(joined)]);
  const onLeave: OnLeave = (key, current, left) =>
    log.push(['leave', key, snapshot(current), snapshot(left)]);
  return { log, onJoin, onLeave };
}

describe('equivalence with phoenix Presence (fast-check)', () => {
  it('syncState/syncDiff: same states, same callbacks in the same order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        let ours = emptyState();
        let theirs: object = {};
        for (const op of ops) {
          const a = callbackLog();
          const b = callbackLog();
          if (op.kind === 'state') {
            const input = wire(op.text);
            const before = entries(ours);
            const next = syncState(ours, input, a.onJoin, a.onLeave);
            expect(entries(ours)).toEqual(before);
            expect(entries(input)).toEqual(entries(wire(op.text)));
            ours = next;
            theirs = PhoenixPresence.syncState(theirs, wire(op.text), b.onJoin, b.onLeave);
          } else if (op.kind === 'diff') {
            const before = entries(ours);
            const next = syncDiff(
              ours,
              { joins: wire(op.joins), leaves: wire(op.leaves) },
              a.onJoin,
              a.onLeave,
            );
            expect(entries(ours)).toEqual(before);
            ours = next;
            theirs = PhoenixPresence.syncDiff(
              theirs,
              { joins: wire(op.joins), leaves: wire(op.leaves) },
              b.onJoin,
              b.onLeave,
            );
          }
          expect(entries(ours)).toEqual(entries(theirs));
          expect(a.log).toEqual(b.log);
          expect(Object.getPrototypeOf(ours)).toBe(null);
        }
        expect(({} as Record<string, unknown>)['metas']).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('PresenceView matches a phoenix Presence instance (pending diffs, rejoins, syncs)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 14 }), (ops) => {
        const handlers = new Map<string, (payload: unknown) => void>();
        let joinRef = 1;
        const channel = {
          on: (event: string, cb: (payload: unknown) => void) => handlers.set(event, cb),
          joinRef: () => joinRef,
        };
        const phoenix = new PhoenixPresence(channel);
        let phoenixSyncs = 0;
        phoenix.onSync(() => phoenixSyncs++);
        let ourSyncs = 0;
        const view = new PresenceView({ change: () => {}, sync: () => ourSyncs++ });

        for (const op of ops) {
          if (op.kind === 'state') {
            view.handleState(wire(op.text));
            handlers.get('presence_state')!(wire(op.text));
          } else if (op.kind === 'diff') {
            view.handleDiff({ joins: wire(op.joins), leaves: wire(op.leaves) });
            handlers.get('presence_diff')!({ joins: wire(op.joins), leaves: wire(op.leaves) });
          } else {
            // A new connection: Phoenix's rejoin. socket.io never delivers a dead
            // connection's packets afterwards, so the diffs it queued are dropped too.
            view.handleDisconnect();
            joinRef++;
            phoenix.pendingDiffs = [];
          }
          expect(entries(view.state)).toEqual(entries(phoenix.state));
          expect(view.pendingDiffs).toBe(phoenix.pendingDiffs.length);
          expect(ourSyncs).toBe(phoenixSyncs);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the view reports each change once: replaying its events rebuilds its refs', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 14 }), (ops) => {
        // Model: userId → set of refs, driven only by the reported changes.
        const model = new Map<string, Set<string>>();
        const view = new PresenceView({
          change: (c) => {
            if (c.kind === 'join') {
              const refs = model.get(c.userId) ?? new Set<string>();
              expect(new Set(c.current?.metas.map((m) => m.phx_ref))).toEqual(refs);
              for (const m of c.joined.metas) refs.add(m.phx_ref);
              model.set(c.userId, refs);
            } else if (c.kind === 'update') {
              model.set(c.userId, new Set(c.presence.metas.map((m) => m.phx_ref)));
            } else {
              model.set(c.userId, new Set(c.current.metas.map((m) => m.phx_ref)));
            }
          },
          sync: () => {},
        });
        for (const op of ops) {
          if (op.kind === 'state') view.handleState(wire(op.text));
          else if (op.kind === 'diff') {
            view.handleDiff({ joins: wire(op.joins), leaves: wire(op.leaves) });
          } else view.handleDisconnect();
          if (!view.synced) continue;
          const expected = new Map(
            view.list().map((u) => [u.userId, new Set(u.metas.map((m) => m.phx_ref))]),
          );
          const actual = new Map([...model].filter(([, refs]) => refs.size > 0));
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
