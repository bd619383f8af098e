/**
 * Transfer request bookkeeping. Regression found by the replication benchmark: a 1M-entry answer
 * that took longer than the timeout was asked for again while its parts were still arriving (4
 * requests, 207 parts for a 100-chunk answer); the timeout now measures silence since the last part.
 */
import { describe, expect, it } from 'vitest';
import { TransferRequests } from '../../src/runtime/transfer-requests.js';

describe('TransferRequests', () => {
  it('keeps a request outstanding while its parts keep arriving', () => {
    const requests = new TransferRequests(1, 500);
    const requestId = requests.sent('a#1', 'self', 0);
    for (let part = 0; part < 20; part++) {
      const now = (part + 1) * 100;
      requests.partReceived('a#1', requestId, 100, now);
      requests.sample('self#1', new Map(), now); // every tick expires silent requests
    }
    expect(requests.isOutstanding('a#1')).toBe(true);
  });

  it('gives up on an answer that went silent, so the next sample can ask again', () => {
    const requests = new TransferRequests(1, 500);
    const requestId = requests.sent('a#1', 'self', 0);
    requests.partReceived('a#1', requestId, 100, 100);
    requests.sample('self#1', new Map(), 601);
    expect(requests.isOutstanding('a#1')).toBe(false);
  });

  it('completes when every part has arrived, and ignores parts of other requests', () => {
    const requests = new TransferRequests(1, 500);
    const requestId = requests.sent('a#1', 'self', 0);
    requests.partReceived('a#1', 'someone-else-1', 2, 1);
    requests.partReceived('a#1', requestId, 2, 2);
    expect(requests.isOutstanding('a#1')).toBe(true);
    requests.partReceived('a#1', requestId, 2, 3);
    expect(requests.isOutstanding('a#1')).toBe(false);
  });

  it('asks only replicas whose clocks ours does not cover, once per sampling period', () => {
    const requests = new TransferRequests(2, 500);
    requests.heardClock(
      'a#1',
      new Map([
        ['a#1', 5],
        ['self#1', 0],
      ]),
    );
    requests.heardClock(
      'b#1',
      new Map([
        ['b#1', 1],
        ['self#1', 0],
      ]),
    );
    const own = new Map([
      ['self#1', 0],
      ['a#1', 0],
      ['b#1', 1],
    ]);
    expect(requests.sample('self#1', own, 0)).toEqual([]); // first tick of the period
    expect(requests.sample('self#1', own, 1)).toEqual(['a#1']);
  });
});
