/**
 * Held parts (src/core/transfer.ts, PresenceState.mergeHeld): a replica that starts while another
 * is down and in its crash grace learns that replica's entries from a transfer, holds those with
 * a lineage as every survivor does, and a device reconnecting to it takes its entry over. A
 * property checks that the newcomer then shows exactly what the survivor shows, before and after
 * the release, whatever the entries, the takeovers on the survivor and the chunk size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type HeldPart,
  LINEAGE_FIELD,
  type PresenceState,
  replicaKey,
  type TransferPart,
} from '../../src/core/index.js';
import {
  broadcast,
  changeOf,
  connectAll,
  mergeParts,
  NO_CHANGE,
  newState,
  observe,
  onlineList,
  trackOk,
} from '../support/core-fixtures.js';

const device = (id: string, since: number, status = 'online') => ({
  status,
  [LINEAGE_FIELD]: [id, since],
});

/** What `survivor` sends `newcomer` while `down`'s grace has `leftMs` to go. */
function transferWithGrace(
  survivor: PresenceState,
  newcomer: PresenceState,
  down: PresenceState,
  leftMs = 1_000,
): TransferPart[] {
  const graceLeft = new Map([[replicaKey(down.self.ref), leftMs]]);
  return survivor.extract(newcomer.self.ref, newcomer.clock(), 'x', graceLeft);
}

/** a writes, s merges and marks a down; n starts and knows only s. */
function crashed(chunkSize = 10_000) {
  const a = newState('a');
  const s = newState('s', { snapshotChunkSize: chunkSize });
  connectAll(a, s);
  trackOk(a, 'user:u', 'u', 'c1', device('d1', 1));
  trackOk(a, 'user:u', 'u', 'c2', device('d2', 1));
  trackOk(a, 'user:u', 'u', 'c3', { status: 'plain' });
  trackOk(s, 'user:v', 'v', 'c4', { status: 'online' });
  broadcast(a, s);
  s.takeDelta();
  s.replicaDown(a.self.ref);
  const n = newState('n');
  n.replicaUp(s.self.ref);
  return { a, s, n };
}

describe('held parts', () => {
  it('a newcomer holds a down replica’s entries with a lineage; a device back on it takes over', () => {
    const { a, s, n } = crashed(2);
    const parts = transferWithGrace(s, n, a, 1_234);
    const held = parts.filter((p): p is HeldPart => p.kind === 'held');
    // First in the answer, chunked as a snapshot, with what is left of the grace.
    expect(parts.slice(0, held.length)).toEqual(held);
    expect(held.map((p) => [p.chunk, p.chunkCount, p.graceLeftMs, p.upTo])).toEqual([
      [0, 2, 1_234, 3],
      [1, 2, 1_234, 3],
    ]);
    const merged = mergeParts(n, parts);
    expect(merged.statuses.slice(0, 2)).toEqual(['applied', 'partial']);
    expect(onlineList(n)).toEqual(onlineList(s));
    expect(n.isUp(a.self.ref)).toBe(false);
    expect(n.heldCount(a.self.ref)).toBe(2);
    expect(n.clock().has(replicaKey(a.self.ref))).toBe(false);
    // d1 reconnects on n: one change, the held entry out, the new one in.
    const back = n.track('user:u', 'u', 'n1', device('d1', 2));
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(changeOf(back.change)).toEqual({
      joins: [{ topic: 'user:u', key: 'u', meta: device('d1', 2), dot: 'n:1' }],
      leaves: [{ topic: 'user:u', key: 'u', meta: device('d1', 1), dot: 'a:1' }],
    });
    // The same parts again (a transfer asked again, or from another survivor): nothing new.
    const again = observe(n);
    expect(mergeParts(n, held).statuses).toEqual(['partial', 'partial']);
    expect(observe(n)).toEqual(again);
    // The grace ends: d2 leaves; forgotten, the same parts do not bring a back.
    expect(changeOf(n.releaseHeld(a.self.ref, 10).change).leaves.map((r) => r.dot)).toEqual([
      'a:2',
    ]);
    n.replicaPermdown(a.self.ref);
    const before = observe(n);
    expect(mergeParts(n, held).statuses).toEqual(['stale', 'stale']);
    expect(observe(n)).toEqual(before);
  });

  it('a replica the requester knows, up or down, is left as it is', () => {
    const { a, s } = crashed();
    const knowsUp = newState('k');
    connectAll(knowsUp, a);
    knowsUp.replicaUp(s.self.ref);
    const held = transferWithGrace(s, knowsUp, a).filter((p) => p.kind === 'held');
    expect(held).toHaveLength(1);
    const before = observe(knowsUp);
    expect(knowsUp.mergeTransfer(held[0]!)).toEqual({ status: 'stale', change: NO_CHANGE });
    expect(observe(knowsUp)).toEqual(before);
    knowsUp.replicaDown(a.self.ref);
    expect(knowsUp.mergeTransfer(held[0]!).status).toBe('stale');
  });

  it('nothing is sent without a grace left, once releasing, nor to the down replica itself', () => {
    const { a, s, n } = crashed();
    expect(s.extract(n.self.ref, n.clock(), 'x').some((p) => p.kind === 'held')).toBe(false);
    expect(transferWithGrace(s, n, a, 0).some((p) => p.kind === 'held')).toBe(false);
    expect(s.extract(a.self.ref, a.clock(), 'x', new Map([[replicaKey(a.self.ref), 500]]))).toEqual(
      s.extract(a.self.ref, a.clock(), 'x'),
    );
    s.releaseHeld(a.self.ref, 1);
    expect(transferWithGrace(s, n, a).some((p) => p.kind === 'held')).toBe(false);
  });
});

const entryArb = fc.record({
  user: fc.constantFrom('u', 'v', 'w'),
  device: fc.option(fc.constantFrom('d1', 'd2', 'd3'), { nil: undefined }),
  status: fc.constantFrom('online', 'away'),
});

describe('held parts (property)', () => {
  it('a newcomer shows what the survivor shows, before and after the release', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 12 }),
        fc.array(fc.nat({ max: 11 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 5 }),
        (entries, takeovers, chunkSize) => {
          const a = newState('a');
          const s = newState('s', { snapshotChunkSize: chunkSize });
          connectAll(a, s);
          entries.forEach((e, i) => {
            const meta =
              e.device === undefined ? { status: e.status } : device(e.device, i + 1, e.status);
            trackOk(a, `user:${e.user}`, e.user, `c${i}`, meta);
          });
          if (a.hasDelta()) broadcast(a, s);
          s.replicaDown(a.self.ref);
          // Some devices are back on the survivor before the newcomer starts.
          takeovers.forEach((i, j) => {
            const e = entries[i];
            if (e?.device === undefined) return;
            s.track(`user:${e.user}`, e.user, `s${j}`, device(e.device, 100 + j, 'busy'));
          });
          const n = newState('n');
          n.replicaUp(s.self.ref);
          mergeParts(n, transferWithGrace(s, n, a));
          expect(onlineList(n)).toEqual(onlineList(s));
          s.releaseHeld(a.self.ref, Number.POSITIVE_INFINITY);
          n.releaseHeld(a.self.ref, Number.POSITIVE_INFINITY);
          expect(onlineList(n)).toEqual(onlineList(s));
        },
      ),
      { numRuns: 200 },
    );
  });
});
