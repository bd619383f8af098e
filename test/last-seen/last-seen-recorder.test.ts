/**
 * The recorder writes an owned offline's last seen, nothing for online or unowned transitions,
 * and at most `maxInFlight` writes at a time with the backlog kept per user (latest wins): a
 * burst of a dead node's users reaches the store a few at a time, and all of it arrives.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MemoryLastSeenStore } from '../../src/last-seen/index.js';
import { LastSeenRecorder } from '../../src/last-seen/last-seen-recorder.js';
import { silentLogger } from '../../src/ports/logger.js';
import type {
  UserOnlineFeed,
  UserOnlineTransition,
} from '../../src/user-online/user-online-feed.js';

/** A store that counts how many of its writes are running at once. */
class CountingStore extends MemoryLastSeenStore {
  running = 0;
  maxRunning = 0;
  override async record(user: string, at: number): Promise<void> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await super.record(user, at);
    } finally {
      this.running--;
    }
  }
}

function feedOf(emitter: EventEmitter): UserOnlineFeed {
  return emitter as unknown as UserOnlineFeed;
}

const offline = (user: string, at: number, owned = true): UserOnlineTransition => ({
  type: 'offline',
  user,
  at,
  seq: at,
  owned,
});

describe('LastSeenRecorder', () => {
  it('writes owned offlines only, a few at a time, all of a burst in the end', async () => {
    const transitions = new EventEmitter();
    const store = new CountingStore();
    const recorder = new LastSeenRecorder(feedOf(transitions), store, silentLogger, 4);
    transitions.emit('transition', { ...offline('x', 5), type: 'online' });
    transitions.emit('transition', offline('y', 5, false));
    for (let i = 0; i < 200; i++) transitions.emit('transition', offline(`u${i}`, 1_000 + i));
    transitions.emit('transition', offline('u199', 900));
    await recorder.close();
    expect(store.maxRunning).toBeLessThanOrEqual(4);
    expect(recorder.stats).toMatchObject({ recorded: 200, failures: 0, waiting: 0 });
    const stored = await store.get(['x', 'y', 'u0', 'u199']);
    expect([...stored.keys()].sort()).toEqual(['u0', 'u199']);
    expect(stored.get('u199')?.lastSeen).toBe(1_199);
  });

  it('counts a failed write and goes on', async () => {
    const transitions = new EventEmitter();
    const store = new MemoryLastSeenStore();
    await store.close();
    const recorder = new LastSeenRecorder(feedOf(transitions), store, silentLogger);
    transitions.emit('transition', offline('ann', 7));
    await recorder.close();
    expect(recorder.stats).toMatchObject({ recorded: 0, failures: 1 });
  });
});
