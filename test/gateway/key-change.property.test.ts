/**
 * The outbox's fold (key-change.ts) against the `phoenix` package's own Presence.syncDiff: for any
 * run of tracker changes a synced socket can be owed (joins of new refs, updates, leaves, a
 * replica down and back up with the same refs), cut into batches at random, applying each batch
 * as the one packet the outbox writes gives exactly the view that applying the changes one by one
 * gives: the same keys, the same metas in the same order, but for `phx_ref_prev`, which in a
 * batch always names a meta the socket holds. And before each flush, what a session
 * computes as the socket's metas of a key (for the leaves when it stops watching that user) is
 * exactly what the socket holds.
 */
import fc from 'fast-check';
import { Presence, type PresenceState } from 'phoenix';
import { describe, expect, it } from 'vitest';
import type { WireMeta } from '../../src/domain/client-protocol.js';
import { DiffPacketEncoder } from '../../src/gateway/outbound/diff-packet.js';
import {
  KeyChange,
  type OwedKey,
  owedDifference,
  PendingKey,
} from '../../src/gateway/outbound/key-change.js';

type PhoenixDiff = Parameters<typeof Presence.syncDiff>[1];
const KEYS = ['u', 'v', 'w'];

/** One step, read against the model: which kind, which key, which existing ref. */
const step = fc.record({
  kind: fc.constantFrom('join', 'update', 'leave', 'down', 'up'),
  key: fc.nat({ max: KEYS.length - 1 }),
  pick: fc.nat(),
  /** Ends the tracker change after this step (else the next step joins it). */
  endsChange: fc.boolean(),
  /** Flushes the outbox after this change. */
  flush: fc.boolean(),
});

/** The tracker's side: live metas per key, and metas of a replica that is down. */
class Model {
  private next = 0;
  readonly live = new Map<string, WireMeta[]>(KEYS.map((k) => [k, []]));
  private readonly down: { key: string; meta: WireMeta }[] = [];
  /** The `phx_ref_prev` each meta was made with. */
  readonly prevOf = new Map<string, string | undefined>();

  /** Applies a step; returns the change it makes for one key, or undefined if it cannot. */
  apply(s: { kind: string; key: number; pick: number }, used: Set<string>): KeyChange | undefined {
    const key = KEYS[s.key]!;
    const metas = this.live.get(key)!;
    const free = metas.filter((m) => !used.has(m.phx_ref));
    const fresh = (prev?: string): WireMeta => {
      const ref = `r${this.next++}`;
      this.prevOf.set(ref, prev);
      return {
        phx_ref: ref,
        status: `s${this.next % 3}`,
        online_at: this.next,
        ...(prev === undefined ? {} : { phx_ref_prev: prev }),
      };
    };
    const mark = (...refs: string[]) => {
      for (const r of refs) used.add(r);
    };
    switch (s.kind) {
      case 'join': {
        const meta = fresh();
        metas.push(meta);
        mark(meta.phx_ref);
        return new KeyChange(key, [meta], []);
      }
      case 'update': {
        const old = free[s.pick % Math.max(1, free.length)];
        if (old === undefined) return undefined;
        const meta = fresh(old.phx_ref);
        metas.splice(metas.indexOf(old), 1, meta);
        mark(old.phx_ref, meta.phx_ref);
        return new KeyChange(key, [meta], [old]);
      }
      case 'leave':
      case 'down': {
        const old = free[s.pick % Math.max(1, free.length)];
        if (old === undefined) return undefined;
        metas.splice(metas.indexOf(old), 1);
        mark(old.phx_ref);
        if (s.kind === 'down') this.down.push({ key, meta: old });
        return new KeyChange(key, [], [old]);
      }
      default: {
        const back = this.down.filter((d) => !used.has(d.meta.phx_ref));
        const up = back[s.pick % Math.max(1, back.length)];
        if (up === undefined) return undefined;
        this.down.splice(this.down.indexOf(up), 1);
        this.live.get(up.key)!.push(up.meta);
        mark(up.meta.phx_ref);
        return new KeyChange(up.key, [up.meta], []);
      }
    }
  }
}

function owe(outbox: Map<string, OwedKey>, change: KeyChange): void {
  const owed = outbox.get(change.key);
  if (owed === undefined) outbox.set(change.key, change);
  else if (owed instanceof PendingKey) owed.add(change);
  else {
    const pending = PendingKey.of(owed);
    pending.add(change);
    outbox.set(change.key, pending);
  }
}

const encoder = new DiffPacketEncoder('/presence');

/** The diff of what the outbox would write now, parsed from the packet, and the outbox emptied. */
function flushed(outbox: Map<string, OwedKey>): PhoenixDiff | undefined {
  const packet = encoder.encode(outbox.values());
  outbox.clear();
  if (packet === undefined) return undefined;
  const [event, diff] = JSON.parse(packet.packet.slice(packet.packet.indexOf('['))) as [
    string,
    PhoenixDiff,
  ];
  expect(event).toBe('presence_diff');
  return diff;
}

function asDiff(changes: readonly KeyChange[]): PhoenixDiff {
  const joins: PresenceState = Object.create(null);
  const leaves: PresenceState = Object.create(null);
  for (const c of changes) {
    if (c.joins.length > 0) joins[c.key] = { metas: [...(joins[c.key]?.metas ?? []), ...c.joins] };
    if (c.leaves.length > 0)
      leaves[c.key] = { metas: [...(leaves[c.key]?.metas ?? []), ...c.leaves] };
  }
  return { joins, leaves } as PhoenixDiff;
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
/** A view as plain data, less `phx_ref_prev` (which names what the socket held, see the fold). */
const withoutPrev = (state: PresenceState) =>
  JSON.parse(JSON.stringify(state, (k, v: unknown) => (k === 'phx_ref_prev' ? undefined : v)));

describe('folding a socket’s owed diffs', () => {
  it('one packet per batch syncs to exactly the view of the diffs one by one', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 12 }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        (initial, steps) => {
          const model = new Model();
          for (const s of initial) model.apply(s, new Set());
          // A socket synced to the model's state.
          let start: PresenceState = Object.create(null);
          for (const [key, metas] of model.live) if (metas.length > 0) start[key] = { metas };
          start = Presence.syncState({}, plain(start) as PresenceState);

          let oneByOne = Presence.syncState({}, plain(start) as PresenceState);
          let batched = Presence.syncState({}, plain(start) as PresenceState);
          const outbox = new Map<string, OwedKey>();
          let change: KeyChange[] = [];
          let used = new Set<string>();
          for (const [i, s] of steps.entries()) {
            const made = model.apply(s, used);
            if (made !== undefined) change.push(made);
            if (!s.endsChange && i < steps.length - 1) continue;
            // One tracker change: one diff for the socket one by one, one owe per key batched.
            if (change.length > 0) {
              oneByOne = Presence.syncDiff(oneByOne, plain(asDiff(change)) as PhoenixDiff);
              const byKey = new Map<string, KeyChange[]>();
              for (const c of change) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
              for (const [key, cs] of byKey) {
                owe(
                  outbox,
                  new KeyChange(
                    key,
                    cs.flatMap((c) => c.joins),
                    cs.flatMap((c) => c.leaves),
                  ),
                );
              }
            }
            change = [];
            used = new Set();
            // What the session computes for a user it stops watching: the socket's metas are the
            // tracker's, less the refs it is owed as new joins, plus the leaves it is owed.
            for (const [key, metas] of model.live) {
              const owed = outbox.get(key);
              const { joined, left } =
                owed === undefined ? { joined: new Set(), left: [] } : owedDifference(owed);
              const held = metas
                .filter((m) => !joined.has(m.phx_ref))
                .concat(left)
                .map((m) => m.phx_ref)
                .sort();
              const viewed = (batched[key]?.metas ?? []).map((m) => String(m['phx_ref'])).sort();
              expect(held).toEqual(viewed);
            }
            if (s.flush || i === steps.length - 1) {
              const diff = flushed(outbox);
              if (diff !== undefined) {
                // A phx_ref_prev the fold changed names a meta this socket holds (or is gone).
                for (const [key, joined] of Object.entries(
                  (diff as { joins: PresenceState }).joins,
                )) {
                  const holds = new Set(
                    (batched[key]?.metas ?? []).map((m) => String(m['phx_ref'])),
                  );
                  for (const meta of joined.metas) {
                    const prev = meta['phx_ref_prev'] as string | undefined;
                    if (prev !== undefined && prev !== model.prevOf.get(String(meta['phx_ref']))) {
                      expect(holds.has(prev)).toBe(true);
                    }
                  }
                }
                batched = Presence.syncDiff(batched, diff);
              }
              expect(withoutPrev(batched)).toEqual(withoutPrev(oneByOne));
            }
          }
          // And the view is the tracker's.
          const truth: Record<string, unknown> = {};
          for (const [key, metas] of model.live) if (metas.length > 0) truth[key] = { metas };
          const sorted = (s: unknown) =>
            Object.fromEntries(
              Object.entries(s as Record<string, { metas: WireMeta[] }>).map(([k, v]) => [
                k,
                v.metas.map((m) => m.phx_ref).sort(),
              ]),
            );
          expect(sorted(plain(batched))).toEqual(sorted(truth));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('a join then a leave of one ref cancel out: nothing is written', () => {
    const meta: WireMeta = { phx_ref: 'r1', status: 'online', online_at: 1 };
    const outbox = new Map<string, OwedKey>();
    owe(outbox, new KeyChange('u', [meta], []));
    owe(outbox, new KeyChange('u', [], [meta]));
    expect(encoder.encode(outbox.values())).toBeUndefined();
  });

  it('a connection that joins and updates in one batch arrives as a join; two updates pair with the held meta', () => {
    const meta = (ref: string, prev?: string): WireMeta => ({
      phx_ref: ref,
      status: ref,
      online_at: 1,
      ...(prev === undefined ? {} : { phx_ref_prev: prev }),
    });
    const fresh = new Map<string, OwedKey>();
    owe(fresh, new KeyChange('u', [meta('r1')], []));
    owe(fresh, new KeyChange('u', [meta('r2', 'r1')], [meta('r1')]));
    expect(flushed(fresh)).toEqual({ joins: { u: { metas: [meta('r2')] } }, leaves: {} });

    const twice = new Map<string, OwedKey>();
    owe(twice, new KeyChange('u', [meta('r1', 'r0')], [meta('r0')]));
    owe(twice, new KeyChange('u', [meta('r2', 'r1')], [meta('r1', 'r0')]));
    expect(flushed(twice)).toEqual({
      joins: { u: { metas: [meta('r2', 'r0')] } },
      leaves: { u: { metas: [meta('r0')] } },
    });
  });
});
