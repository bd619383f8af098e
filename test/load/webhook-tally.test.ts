import { describe, expect, it } from 'vitest';
import { WebhookTally } from '../../load/webhooks/webhook-tally.js';

const event = (id: string, type: string, user: string, at: number, seq: number) =>
  JSON.stringify({ id, type, user, at, seq });

describe('the load webhook receiver’s tally', () => {
  it('counts new events per type, users online, and each delay from at to arrival', () => {
    const tally = new WebhookTally();
    tally.record(event('e1', 'user.online', 'alice', 1_000, 1), 1_010);
    tally.record(event('e2', 'user.online', 'bob', 1_000, 1), 1_050);
    tally.record(event('e3', 'user.offline', 'alice', 2_000, 2), 2_030);
    const s = tally.snapshot();
    expect(s).toMatchObject({ requests: 3, online: 2, offline: 1, usersOnline: 2, duplicates: 0 });
    expect(s.onlineArrivals).toEqual([1_010, 1_050]);
    expect(s.offlineArrivals).toEqual([2_030]);
    expect(s.delayMs.count).toBe(3);
    expect(s.delayMs.max).toBe(50);
  });

  it('counts a repeated id as a duplicate, not as a new event', () => {
    const tally = new WebhookTally();
    tally.record(event('e1', 'user.online', 'alice', 1_000, 1), 1_010);
    tally.record(event('e1', 'user.online', 'alice', 1_000, 1), 6_010);
    const s = tally.snapshot();
    expect(s).toMatchObject({ requests: 2, online: 1, duplicates: 1, onlineTwiceInARow: 0 });
    expect(s.delayMs.count).toBe(1);
  });

  it('flags a user told online twice in a row and a sequence that does not grow', () => {
    const tally = new WebhookTally();
    tally.record(event('e1', 'user.online', 'alice', 1_000, 1), 1_010);
    tally.record(event('e2', 'user.online', 'alice', 1_000, 1), 1_020);
    tally.record(event('e3', 'user.offline', 'alice', 2_000, 2), 2_010);
    tally.record(event('e4', 'user.online', 'alice', 3_000, 3), 3_010);
    const s = tally.snapshot();
    expect(s).toMatchObject({ online: 3, offline: 1, usersOnline: 1 });
    expect(s.onlineTwiceInARow).toBe(1);
    expect(s.onlineTwice).toEqual([{ user: 'alice', at: [1_000, 1_000] }]);
    expect(s.onlineUsers).toEqual(['alice']);
    expect(s.seqNotIncreasing).toBe(1);
  });

  it('counts a body that is not an event as malformed', () => {
    const tally = new WebhookTally();
    tally.record('not json', 1);
    tally.record(JSON.stringify({ id: 'x', type: 'user.away', user: 'a', at: 1, seq: 1 }), 1);
    tally.record(JSON.stringify({ id: 'x', type: 'user.online', user: 'a', seq: 1 }), 1);
    expect(tally.snapshot()).toMatchObject({ malformed: 3, requests: 0, online: 0 });
  });

  it('keeps the signature checks apart', () => {
    const tally = new WebhookTally();
    tally.signatureChecked(true);
    tally.signatureChecked(false);
    expect(tally.snapshot()).toMatchObject({ signaturesChecked: 2, badSignatures: 1 });
  });
});
