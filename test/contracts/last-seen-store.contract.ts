/**
 * The behaviour every last-seen store must show (src/ports/last-seen-store.ts), registered once
 * per adapter by its test file: `describeLastSeenStoreContract('redis', makeRedisFixture)`.
 * The memory store is also the model the others are compared with on random operation sequences.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLastSeenStore } from '../../src/last-seen/memory-last-seen-store.js';
import type {
  LastSeenRecord,
  LastSeenStore,
  LastSeenVisibility,
} from '../../src/ports/last-seen-store.js';
import type { Logger } from '../../src/ports/logger.js';

/** What a store keeps for a user, raw (null: not stored), as another program would see it. */
export interface RawLastSeenValues {
  readonly at: string | null;
  readonly atMac: string | null;
  readonly visibility: string | null;
  readonly visibilityMac: string | null;
}

export interface LastSeenOpenOptions {
  readonly logger?: Logger;
  /** The store's wall clock. @default Date.now */
  readonly now?: () => number;
  /** Ignored by the memory store (nobody else writes it). */
  readonly clusterSecret?: string;
  readonly previousClusterSecret?: string;
}

const SECRET = 'a-cluster-secret-of-at-least-32-bytes!!';
const OTHER_SECRET = 'another-cluster-secret-of-32-bytes-or-more';
const SKEW_MS = 60_000;

/** One isolated store (a key prefix, a schema); every `open` is a new instance over it. */
export interface LastSeenStoreFixture {
  open(options?: LastSeenOpenOptions): Promise<LastSeenStore>;
  /**
   * For shared stores (Redis, PostgreSQL): what is stored for `user`, and a way to write fields
   * straight into the store (undefined leaves a field, null deletes it), as anyone who can write
   * to the store without the cluster secret could.
   */
  readRaw?(user: string): Promise<RawLastSeenValues>;
  writeRaw?(user: string, values: Partial<RawLastSeenValues>): Promise<void>;
  /** The store's count of values refused for a missing or wrong MAC. */
  refusedValues?(store: LastSeenStore): number;
  /**
   * Ways to write a bad value for `user` straight into the store, as another program or a hand
   * edit would; empty for the memory store, which holds no raw data.
   */
  readonly corruptions: Readonly<Record<string, (user: string) => Promise<void>>>;
  /** Closes every store `open` returned and deletes the data. */
  cleanup(): Promise<void>;
}

export interface LastSeenContractOptions {
  /** The data outlives a store instance (a restart of the node). */
  readonly persistent: boolean;
}

/** A logger keeping its warnings, to check that skipped rows are reported. */
export function recordingLogger(): Logger & { readonly warnings: object[] } {
  const warnings: object[] = [];
  return {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (obj) => warnings.push(obj),
    error: () => {},
  };
}

const friends = (lastSeen: number | null): LastSeenRecord => ({ lastSeen, visibility: 'friends' });
const entries = (map: ReadonlyMap<string, LastSeenRecord>) =>
  [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function describeLastSeenStoreContract(
  name: string,
  makeFixture: () => Promise<LastSeenStoreFixture>,
  options: LastSeenContractOptions,
): void {
  describe(`last-seen store contract: ${name}`, () => {
    let fixture: LastSeenStoreFixture;
    let store: LastSeenStore;

    beforeEach(async () => {
      fixture = await makeFixture();
      store = await fixture.open();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('reads back a recorded last seen, with the default visibility friends', async () => {
      await store.record('alice', 1_700_000_000_000);
      expect(await store.get(['alice'])).toEqual(new Map([['alice', friends(1_700_000_000_000)]]));
    });

    it('keeps the largest value whatever order the writes arrive in', async () => {
      await store.record('alice', 2_000);
      await store.record('alice', 1_000);
      expect((await store.get(['alice'])).get('alice')?.lastSeen).toBe(2_000);
      await store.record('alice', 3_000);
      await store.record('alice', 2_500);
      await store.record('alice', 3_000);
      expect((await store.get(['alice'])).get('alice')?.lastSeen).toBe(3_000);
    });

    it('keeps the largest of concurrent writes (at least once, out of order)', async () => {
      const times = [5, 9, 1, 9, 7, 3, 8, 2, 6, 4].map((n) => 1_000 + n);
      await Promise.all(times.map((at) => store.record('bob', at)));
      expect((await store.get(['bob'])).get('bob')?.lastSeen).toBe(1_009);
    });

    it('keeps a visibility set before any last seen, and through later records', async () => {
      await store.setVisibility('carol', 'nobody');
      expect(await store.get(['carol'])).toEqual(
        new Map([['carol', { lastSeen: null, visibility: 'nobody' }]]),
      );
      await store.record('carol', 42);
      expect((await store.get(['carol'])).get('carol')).toEqual({
        lastSeen: 42,
        visibility: 'nobody',
      });
    });

    it('changes the visibility after a record without touching the last seen', async () => {
      await store.record('dave', 10);
      await store.setVisibility('dave', 'nobody');
      expect((await store.get(['dave'])).get('dave')).toEqual({
        lastSeen: 10,
        visibility: 'nobody',
      });
      await store.setVisibility('dave', 'friends');
      await store.record('dave', 5);
      expect((await store.get(['dave'])).get('dave')).toEqual(friends(10));
    });

    it('leaves users with nothing stored out of the map', async () => {
      expect((await store.get([])).size).toBe(0);
      expect((await store.get(['ghost'])).size).toBe(0);
      await store.record('erin', 1);
      expect(entries(await store.get(['ghost', 'erin', 'ghost', 'erin']))).toEqual([
        ['erin', friends(1)],
      ]);
    });

    it('keeps users apart, including ids with separators, unicode and __proto__', async () => {
      const ids = ['a:b', 'a', 'with space', 'ünï😀', '__proto__', 'constructor', 'x'.repeat(256)];
      await Promise.all(ids.map((id, index) => store.record(id, index)));
      await store.setVisibility('a:b', 'nobody');
      const found = await store.get(ids);
      expect(found.size).toBe(ids.length);
      ids.forEach((id, index) => {
        expect(found.get(id)?.lastSeen).toBe(index);
      });
      expect(found.get('a:b')?.visibility).toBe('nobody');
      expect(found.get('a')?.visibility).toBe('friends');
    });

    it('refuses to write ids with NUL or a lone surrogate; reads NUL ones as absent', async () => {
      await store.record('plain', 1);
      for (const odd of ['a\u0000b', 'a\uD800b', '\uDC00']) {
        await expect(store.record(odd, 1)).rejects.toMatchObject({
          code: 'PRESENCE_INVALID_INPUT',
          message: expect.stringMatching(/NUL|lone surrogate/),
        });
        await expect(store.setVisibility(odd, 'nobody')).rejects.toMatchObject({
          code: 'PRESENCE_INVALID_INPUT',
        });
      }
      // NUL is a user id elsewhere (it has nothing stored here); a lone surrogate is none at all.
      const found = await store.get(['a\u0000b', 'plain', 'a\uFFFDb']);
      expect(entries(found)).toEqual([['plain', friends(1)]]);
      await expect(store.get(['plain', 'a\uD800b'])).rejects.toMatchObject({
        code: 'PRESENCE_INVALID_INPUT',
        message: expect.stringContaining('well-formed'),
      });
    });

    it('stores 0 exactly, and a time beyond now plus the clock skew (60 s) as that bound', async () => {
      let now = 1_700_000_000_000;
      const clocked = await fixture.open({ now: () => now });
      await clocked.record('zero', 0);
      await clocked.record('max', Number.MAX_SAFE_INTEGER);
      const found = await clocked.get(['zero', 'max']);
      expect(found.get('zero')?.lastSeen).toBe(0);
      expect(found.get('max')?.lastSeen).toBe(now + SKEW_MS);
      // Later writes still win once the clock has passed the bound: nothing is frozen.
      now += 10 * SKEW_MS;
      await clocked.record('max', now);
      expect((await clocked.get(['max'])).get('max')?.lastSeen).toBe(now);
    });

    it('answers a batch of 1,000 users, and refuses 1,001', async () => {
      const users = Array.from({ length: 1_000 }, (_, index) => `user-${index}`);
      // In slices: 1,000 writes at once would queue behind a small pool past the call timeout.
      for (let start = 0; start < users.length; start += 50) {
        const slice = users.slice(start, start + 50);
        await Promise.all(slice.map((user, index) => store.record(user, 1_000 + start + index)));
      }
      const found = await store.get(users);
      expect(found.size).toBe(1_000);
      expect(found.get('user-999')).toEqual(friends(1_999));
      await expect(store.get([...users, 'one-more'])).rejects.toMatchObject({
        code: 'PRESENCE_INVALID_INPUT',
        message: expect.stringContaining('at most 1000 users'),
      });
    });

    it('refuses bad arguments with PRESENCE_INVALID_INPUT naming what is wrong', async () => {
      const invalid = { code: 'PRESENCE_INVALID_INPUT' };
      for (const at of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '5', null]) {
        await expect(store.record('alice', at as number)).rejects.toMatchObject({
          ...invalid,
          message: expect.stringContaining('non-negative safe integer'),
        });
      }
      for (const user of ['', 'x'.repeat(257), 7, undefined]) {
        await expect(store.record(user as string, 1)).rejects.toMatchObject(invalid);
        await expect(store.setVisibility(user as string, 'nobody')).rejects.toMatchObject(invalid);
        await expect(store.get([user as string])).rejects.toMatchObject(invalid);
      }
      for (const visibility of ['everyone', 'Friends', '', undefined]) {
        await expect(
          store.setVisibility('alice', visibility as LastSeenVisibility),
        ).rejects.toMatchObject({ ...invalid, message: expect.stringContaining("'nobody'") });
      }
      await expect(store.get('alice' as unknown as string[])).rejects.toMatchObject(invalid);
      expect((await store.get(['alice'])).size).toBe(0);
    });

    it('skips users whose stored values are invalid, with a warning', async () => {
      const corruptions = Object.entries(fixture.corruptions);
      if (corruptions.length === 0) return; // nothing raw to corrupt in memory
      const logger = recordingLogger();
      const reader = await fixture.open({ logger });
      await reader.record('good', 7);
      for (const [kind, corrupt] of corruptions) {
        await corrupt(`bad-${kind}`);
        const found = await reader.get([`bad-${kind}`, 'good']);
        expect(entries(found), kind).toEqual([['good', friends(7)]]);
      }
      expect(logger.warnings.length).toBeGreaterThan(0);
      expect(logger.warnings[0]).toMatchObject({ user: `bad-${corruptions[0]?.[0]}` });
    });

    it('rejects calls after close with PRESENCE_LAST_SEEN_CLOSED; close is idempotent', async () => {
      const other = await fixture.open();
      await other.close();
      await other.close();
      const closed = { code: 'PRESENCE_LAST_SEEN_CLOSED' };
      await expect(other.record('alice', 1)).rejects.toMatchObject(closed);
      await expect(other.setVisibility('alice', 'nobody')).rejects.toMatchObject(closed);
      await expect(other.get(['alice'])).rejects.toMatchObject(closed);
    });

    it.runIf(options.persistent)(
      'two instances (two nodes) writing at once keep the largest',
      async () => {
        const other = await fixture.open();
        const times = Array.from({ length: 20 }, (_, index) => 1_000 + ((index * 7) % 20));
        await Promise.all(
          times.map((at, index) => (index % 2 === 0 ? store : other).record('shared', at)),
        );
        await other.setVisibility('shared', 'nobody');
        const expected = { lastSeen: Math.max(...times), visibility: 'nobody' };
        expect((await store.get(['shared'])).get('shared')).toEqual(expected);
        expect((await other.get(['shared'])).get('shared')).toEqual(expected);
      },
    );

    it.runIf(options.persistent)(
      'keeps what was written across a new instance (a restart)',
      async () => {
        await store.record('frank', 123);
        await store.setVisibility('grace', 'nobody');
        await store.close();
        const restarted = await fixture.open();
        expect(entries(await restarted.get(['frank', 'grace']))).toEqual([
          ['frank', friends(123)],
          ['grace', { lastSeen: null, visibility: 'nobody' }],
        ]);
      },
    );

    describe('values written straight into the store', () => {
      const write = async (user: string, values: Partial<RawLastSeenValues>) => {
        if (!fixture.writeRaw) throw new Error('no raw access');
        await fixture.writeRaw(user, values);
      };
      const shared = () => fixture.writeRaw !== undefined;

      it('a stored time far in the future is read as now plus the skew and does not freeze the last seen', async () => {
        if (!shared()) return; // nobody else writes the memory store
        const now = 1_700_000_000_000;
        const clocked = await fixture.open({ now: () => now });
        await write('frozen', { at: String(Date.UTC(2286, 0, 1)) });
        expect((await clocked.get(['frozen'])).get('frozen')?.lastSeen).toBe(now + SKEW_MS);
        await clocked.record('frozen', now - 5);
        expect((await clocked.get(['frozen'])).get('frozen')?.lastSeen).toBe(now - 5);
      });

      it('with a cluster secret, a visibility written without its MAC reads as nobody, and is counted and logged', async () => {
        if (!shared()) return;
        const logger = recordingLogger();
        const sealed = await fixture.open({ clusterSecret: SECRET, logger });
        await sealed.record('victim', 1_000);
        await sealed.setVisibility('victim', 'nobody');
        expect((await sealed.get(['victim'])).get('victim')).toEqual({
          lastSeen: 1_000,
          visibility: 'nobody',
        });
        // One HSET, as in issue 21: without the secret it cannot make a MAC.
        await write('victim', { visibility: 'friends' });
        expect((await sealed.get(['victim'])).get('victim')).toEqual({
          lastSeen: 1_000,
          visibility: 'nobody',
        });
        await write('victim', { visibility: 'friends', visibilityMac: 'A'.repeat(43) });
        expect((await sealed.get(['victim'])).get('victim')?.visibility).toBe('nobody');
        expect(fixture.refusedValues?.(sealed)).toBe(2);
        expect(logger.warnings).toContainEqual(
          expect.objectContaining({ user: 'victim', field: 'visibility' }),
        );
        // The user's own choice, made again through a node, holds.
        await sealed.setVisibility('victim', 'friends');
        expect((await sealed.get(['victim'])).get('victim')?.visibility).toBe('friends');
      });

      it('with a cluster secret, a time without a valid MAC reads as not stored, and a huge one cannot win', async () => {
        if (!shared()) return;
        let now = 1_700_000_000_000;
        const sealed = await fixture.open({ clusterSecret: SECRET, now: () => now });
        await sealed.record('timed', now - 1_000);
        await write('timed', { at: String(Date.UTC(2286, 0, 1)) });
        expect((await sealed.get(['timed'])).size).toBe(0);
        await write('timed', { at: String(Date.UTC(2286, 0, 1)), atMac: 'A'.repeat(43) });
        expect((await sealed.get(['timed'])).size).toBe(0);
        // The next record replaces the forged time (beyond the ceiling, so it counts as none).
        await sealed.record('timed', now);
        expect((await sealed.get(['timed'])).get('timed')?.lastSeen).toBe(now);
        // A forged time within the ceiling reads as not stored, and is replaced once passed.
        await write('timed', { at: String(now + 30_000), atMac: 'A'.repeat(43) });
        await sealed.record('timed', now + 1);
        expect((await sealed.get(['timed'])).size).toBe(0);
        now += SKEW_MS;
        await sealed.record('timed', now);
        expect((await sealed.get(['timed'])).get('timed')?.lastSeen).toBe(now);
      });

      it('with a cluster secret, a record moved to another user is refused', async () => {
        if (!shared() || !fixture.readRaw) return;
        const sealed = await fixture.open({ clusterSecret: SECRET });
        await sealed.record('alice', 5_000);
        await sealed.setVisibility('alice', 'friends');
        await sealed.record('bob', 1_000);
        await sealed.setVisibility('bob', 'nobody');
        await write('bob', await fixture.readRaw('alice'));
        expect((await sealed.get(['bob'])).get('bob')).toEqual({
          lastSeen: null,
          visibility: 'nobody',
        });
      });

      it('values written with another secret are refused; the previous secret is accepted during a rotation', async () => {
        if (!shared()) return;
        const old = await fixture.open({ clusterSecret: OTHER_SECRET });
        await old.record('rotated', 7_000);
        await old.setVisibility('rotated', 'friends');
        const other = await fixture.open({ clusterSecret: SECRET });
        expect((await other.get(['rotated'])).get('rotated')).toEqual({
          lastSeen: null,
          visibility: 'nobody',
        });
        const rotating = await fixture.open({
          clusterSecret: SECRET,
          previousClusterSecret: OTHER_SECRET,
        });
        expect((await rotating.get(['rotated'])).get('rotated')).toEqual(friends(7_000));
      });

      it('values stored without a MAC (before the secret was set) read as not stored / nobody', async () => {
        if (!shared()) return;
        const before = await fixture.open();
        await before.record('legacy', 3_000);
        await before.record('chose', 3_000);
        await before.setVisibility('chose', 'friends');
        const after = await fixture.open({ clusterSecret: SECRET });
        expect((await after.get(['legacy'])).size).toBe(0);
        expect((await after.get(['chose'])).get('chose')).toEqual({
          lastSeen: null,
          visibility: 'nobody',
        });
        // The next record replaces the unsigned time, even a larger one.
        await after.record('legacy', 2_000);
        expect((await after.get(['legacy'])).get('legacy')).toEqual(friends(2_000));
      });
    });

    it('agrees with the memory model on random sequences of record and setVisibility', async () => {
      const users = ['u0', 'u1', 'u2', 'u:3'];
      const operation = fc.oneof(
        fc.record({
          kind: fc.constant('record' as const),
          user: fc.constantFrom(...users),
          at: fc.integer({ min: 0, max: 50 }),
        }),
        fc.record({
          kind: fc.constant('visibility' as const),
          user: fc.constantFrom(...users),
          visibility: fc.constantFrom<LastSeenVisibility>('friends', 'nobody'),
        }),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { maxLength: 12 }), async (operations) => {
          run += 1;
          const scoped = users.map((user) => `prop-${run}-${user}`);
          const model = new MemoryLastSeenStore();
          for (const op of operations) {
            const user = `prop-${run}-${op.user}`;
            for (const target of [model, store]) {
              if (op.kind === 'record') await target.record(user, op.at);
              else await target.setVisibility(user, op.visibility);
            }
          }
          expect(entries(await store.get(scoped))).toEqual(entries(await model.get(scoped)));
        }),
        { numRuns: 25 },
      );
    });
  });
}
