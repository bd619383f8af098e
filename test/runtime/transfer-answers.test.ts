import { describe, expect, it } from 'vitest';
import type { TransferPart } from '../../src/core/index.js';
import type { TransferPartMessage } from '../../src/protocol/messages.js';
import { TransferAnswers } from '../../src/runtime/transfer-answers.js';

const me = { name: 'me', vsn: 1 };
const peer = { name: 'peer', vsn: 1 };
const parts = (n: number): TransferPart[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'snapshot' as const,
    transferId: 't',
    replica: me,
    upTo: 10,
    chunk: i,
    chunkCount: n,
    entries: [],
  }));

function harness(window: number) {
  const sent: TransferPartMessage[] = [];
  const answers = new TransferAnswers(window, (_to, message) => sent.push(message));
  return { sent, answers, indexes: () => sent.map((m) => m.index) };
}

describe('TransferAnswers (flow control of transfer parts)', () => {
  it('keeps at most `window` parts unacknowledged, and each ack lets the next go', () => {
    const { answers, indexes } = harness(3);
    answers.start(peer, 'r1', parts(7), me);
    expect(indexes()).toEqual([0, 1, 2]);
    answers.acknowledged(peer, 'r1', 1);
    expect(indexes()).toEqual([0, 1, 2, 3]);
    answers.acknowledged(peer, 'r1', 4);
    expect(indexes()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    answers.acknowledged(peer, 'r1', 7);
    expect(answers.inFlight).toBe(0);
  });

  it('ignores acks of another request and acks beyond what was sent', () => {
    const { answers, indexes } = harness(2);
    answers.start(peer, 'r1', parts(5), me);
    answers.acknowledged(peer, 'old', 5);
    expect(indexes()).toEqual([0, 1]);
    answers.acknowledged(peer, 'r1', 99); // cannot ack more than was sent
    expect(indexes()).toEqual([0, 1, 2, 3]);
  });

  it('a new request replaces the answer in flight; a forgotten requester gets nothing more', () => {
    const { answers, sent } = harness(1);
    answers.start(peer, 'r1', parts(3), me);
    answers.start(peer, 'r2', parts(2), me);
    expect(sent.map((m) => `${m.requestId}:${m.index}`)).toEqual(['r1:0', 'r2:0']);
    answers.forget(peer);
    answers.acknowledged(peer, 'r2', 1);
    expect(sent).toHaveLength(2);
  });
});
