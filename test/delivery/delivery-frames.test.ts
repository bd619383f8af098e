/** The node-to-node delivery frames: round trips, and a decoder that never throws. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DeliveryFrame,
  decodeDeliveryFrame,
  encodeDeliveryFrame,
} from '../../src/delivery/delivery-frames.js';

const deliver: DeliveryFrame = {
  kind: 'deliver',
  id: 'abc.1',
  origin: 'node-a',
  userId: 'alice',
  event: 'chat',
  payloadJson: '{"text":"hé"}',
  flags: 3,
  ackTimeoutMs: 2500,
};
const answer: DeliveryFrame = { kind: 'answer', id: 'abc.1', node: 'node-b', sockets: 2, acked: 1 };

describe('delivery frames', () => {
  it('round-trip, with the format version in byte 0', () => {
    for (const frame of [deliver, answer]) {
      const bytes = encodeDeliveryFrame(frame);
      expect(bytes[0]).toBe(1);
      expect(decodeDeliveryFrame(bytes)).toEqual(frame);
    }
  });

  it('report an unknown version, a bad shape or garbage as a reason', () => {
    const bytes = encodeDeliveryFrame(answer);
    bytes[0] = 2;
    expect(decodeDeliveryFrame(bytes)).toBe('unknown format version 2');
    expect(decodeDeliveryFrame(new Uint8Array([1]))).toBe('frame too short');
    expect(decodeDeliveryFrame(new Uint8Array([1, 0xc1]))).toMatch(/MessagePack|array/);
    const tooManyAcks = encodeDeliveryFrame({ ...answer, acked: 3 } as DeliveryFrame);
    expect(decodeDeliveryFrame(tooManyAcks)).toMatch(/acked/);
  });

  it('never throw on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = decodeDeliveryFrame(bytes);
        expect(typeof decoded === 'string' || typeof decoded === 'object').toBe(true);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const head = encodeDeliveryFrame(deliver).subarray(0, 5);
        decodeDeliveryFrame(new Uint8Array([...head, ...tail]));
      }),
    );
  });
});
