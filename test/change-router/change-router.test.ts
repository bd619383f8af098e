/**
 * The change router (src/change-router/) on a bare tracker replica: one declared order whatever
 * the order of attachment, a change grouped by topic once, a change reported during a dispatch
 * dispatched after it, replica events in line with changes, a failing consumer isolated, the
 * fan-out's time alone, detach and close.
 */
import { describe, expect, it } from 'vitest';
import { ChangeRouter } from '../../src/change-router/change-router.js';
import {
  type ChangeConsumer,
  CONSUMER_ORDER,
  type ConsumerSlot,
} from '../../src/change-router/change-routes.js';
import type { RoutedChange } from '../../src/change-router/routed-change.js';
import type { PresenceChange } from '../../src/core/index.js';
import type { Logger } from '../../src/ports/logger.js';
import { silentLogger } from '../../src/ports/logger.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';

function replicaNamed(name: string, bus = createInMemoryBus({ schedule: (f) => f() })) {
  return new TrackerReplica({ name, transport: bus.createTransport(name) });
}

/** `join|leave <topic> <key>` of every presence of a change, in its order. */
function describeChange(change: PresenceChange): string[] {
  return [
    ...change.joins.map((p) => `join ${p.topic} ${p.key}`),
    ...change.leaves.map((p) => `leave ${p.topic} ${p.key}`),
  ];
}

describe('ChangeRouter', () => {
  it('calls the consumers in the declared order, whatever order they were attached in', () => {
    const replica = replicaNamed('n');
    const router = new ChangeRouter(replica, silentLogger);
    const calls: string[] = [];
    const reversed = [...CONSUMER_ORDER].reverse();
    for (const slot of reversed) {
      router.attach(slot, { changed: () => calls.push(`${slot} 1`) });
      router.attach(slot, { changed: () => calls.push(`${slot} 2`) });
    }
    replica.track('user:alice', 'alice', 'c1', {});
    expect(calls).toEqual(CONSUMER_ORDER.flatMap((slot) => [`${slot} 1`, `${slot} 2`]));
    expect(CONSUMER_ORDER).toEqual([
      'fanOut',
      'leaveGrace',
      'counts',
      'delivery',
      'onlineFeed',
      'lastSeen',
      'metrics',
    ]);
  });

  it('hands every consumer the same change, grouped by topic once, in first-met order', () => {
    const replica = replicaNamed('n');
    replica.track('user:alice', 'alice', 'a1', { v: 1 });
    const router = new ChangeRouter(replica, silentLogger);
    const seen: RoutedChange[] = [];
    router.attach('fanOut', { changed: (change) => seen.push(change) });
    router.attach('metrics', { changed: (change) => seen.push(change) });
    const moved = replica.move('user:alice', 'alice', 'a1', 'self:alice', { v: 2 });
    expect(moved.ok).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    const [routed] = seen;
    expect([...routed!.topics.keys()]).toEqual(['self:alice', 'user:alice']);
    expect(routed!.topics.get('self:alice')?.joins.map((p) => p.meta)).toEqual([{ v: 2 }]);
    expect(routed!.topics.get('self:alice')?.leaves).toEqual([]);
    expect(routed!.topics.get('user:alice')?.leaves.map((p) => p.meta)).toEqual([{ v: 1 }]);
    expect(routed!.change.joins).toHaveLength(1);
  });

  it('dispatches a change a consumer causes after the current one, to every consumer', () => {
    const replica = replicaNamed('n');
    const router = new ChangeRouter(replica, silentLogger);
    const seen: Partial<Record<ConsumerSlot, string[]>> = {};
    const record =
      (slot: ConsumerSlot): ChangeConsumer['changed'] =>
      ({ change }) => {
        seen[slot] = [...(seen[slot] ?? []), ...describeChange(change)];
      };
    router.attach('fanOut', { changed: record('fanOut') });
    // The leave grace's shape: a join of bob's ends carol's entry, an untrack inside the dispatch.
    let untracked: string[] | undefined;
    router.attach('leaveGrace', {
      changed: (change) => {
        record('leaveGrace')?.(change);
        if (change.topics.has('user:bob')) {
          untracked = describeChange(replica.untrackConnection('c-carol'));
        }
      },
    });
    router.attach('metrics', { changed: record('metrics') });
    replica.track('user:carol', 'carol', 'c-carol', {});
    replica.track('user:bob', 'bob', 'c-bob', {});
    // The write inside the dispatch got its change at once.
    expect(untracked).toEqual(['leave user:carol carol']);
    const order = ['join user:carol carol', 'join user:bob bob', 'leave user:carol carol'];
    expect(seen).toEqual({ fanOut: order, leaveGrace: order, metrics: order });
  });

  it('hands replica events in line with changes, to the consumers that take them', () => {
    const bus = createInMemoryBus({ schedule: (f) => f() });
    const a = replicaNamed('a', bus);
    const b = replicaNamed('b', bus);
    const router = new ChangeRouter(a, silentLogger);
    const seen: string[] = [];
    router.attach('onlineFeed', {
      replicaChanged: ({ type, ref }) => seen.push(`${ref.name} ${type}`),
      changed: ({ change }) => seen.push(...describeChange(change)),
    });
    router.attach('counts', { changed: () => seen.push('counts') });
    b.track('user:bob', 'bob', 'c1', {});
    a.start();
    b.start();
    b.tick();
    expect(seen).toContain('b up');
    expect(seen.indexOf('b up')).toBeLessThan(seen.indexOf('join user:bob bob'));
    expect(seen[seen.indexOf('join user:bob bob') - 1]).toBe('counts');
    a.stop({ announce: false });
    b.stop({ announce: false });
  });

  it('logs a failing consumer and still calls the others', () => {
    const replica = replicaNamed('n');
    const errors: unknown[] = [];
    const logger: Logger = { ...silentLogger, error: (fields) => errors.push(fields) };
    const router = new ChangeRouter(replica, logger);
    const calls: string[] = [];
    router.attach('counts', {
      changed: () => {
        throw new Error('boom');
      },
    });
    router.attach('delivery', { changed: () => calls.push('delivery') });
    expect(replica.track('user:alice', 'alice', 'c1', {}).ok).toBe(true);
    expect(calls).toEqual(['delivery']);
    expect(errors).toEqual([{ err: new Error('boom'), consumer: 'counts' }]);
  });

  it("times the fan-out's slot alone, for the consumers after it", () => {
    const replica = replicaNamed('n');
    let now = 1_000;
    const router = new ChangeRouter(replica, silentLogger, () => now);
    const times: (number | undefined)[] = [];
    router.attach('fanOut', {
      changed: ({ fanOutSeconds }) => {
        times.push(fanOutSeconds);
        now += 5;
      },
    });
    const advance = (ms: number) => () => {
      now += ms;
    };
    router.attach('fanOut', { changed: advance(2) });
    router.attach('delivery', { changed: advance(100) });
    router.attach('metrics', { changed: ({ fanOutSeconds }) => times.push(fanOutSeconds) });
    replica.track('user:alice', 'alice', 'c1', {});
    expect(times).toEqual([undefined, 0.007]);
  });

  it('stops calling a detached consumer, and everything once closed', () => {
    const replica = replicaNamed('n');
    const router = new ChangeRouter(replica, silentLogger);
    const calls: string[] = [];
    const detach = router.attach('counts', { changed: () => calls.push('counts') });
    router.attach('metrics', { changed: () => calls.push('metrics') });
    replica.track('user:alice', 'alice', 'c1', {});
    detach();
    replica.track('user:bob', 'bob', 'c2', {});
    router.close();
    replica.track('user:carol', 'carol', 'c3', {});
    expect(calls).toEqual(['counts', 'metrics', 'metrics']);
    expect(replica.listenerCount('diff')).toBe(0);
    expect(replica.listenerCount('replica')).toBe(0);
  });
});
