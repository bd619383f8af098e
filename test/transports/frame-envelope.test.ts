import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeHeader,
} from '../../src/transports/frame-envelope.js';

describe('frame envelope', () => {
  it('is one length byte, the UTF-8 sender id, then the frame unchanged', () => {
    const bytes = encodeEnvelope(encodeEnvelopeHeader('né'), Uint8Array.of(0, 255));
    expect([...bytes]).toEqual([3, 0x6e, 0xc3, 0xa9, 0, 255]);
    const decoded = decodeEnvelope(bytes);
    expect(decoded).toMatchObject({ ok: true, senderId: 'né' });
    expect(decoded.ok && [...decoded.frame]).toEqual([0, 255]);
  });

  it('round-trips an empty frame and a 255-byte sender id', () => {
    const id = 'x'.repeat(255);
    const decoded = decodeEnvelope(encodeEnvelope(encodeEnvelopeHeader(id), new Uint8Array(0)));
    expect(decoded).toMatchObject({ ok: true, senderId: id });
    expect(decoded.ok && decoded.frame.byteLength).toBe(0);
  });

  it.each([
    ['empty', [], 'too-short'],
    ['length 0 (reserved)', [0, 1], 'reserved-length'],
    ['shorter than its id', [4, 0x61, 0x62], 'too-short'],
    ['an id that is not UTF-8', [2, 0xff, 0xfe], 'bad-sender-id'],
  ])('rejects a frame that is %s without throwing', (_label, bytes, reason) => {
    expect(decodeEnvelope(Uint8Array.from(bytes as number[]))).toEqual({ ok: false, reason });
  });

  it('refuses to encode an empty or over-long sender id', () => {
    expect(() => encodeEnvelopeHeader('')).toThrow(RangeError);
    expect(() => encodeEnvelopeHeader('é'.repeat(128))).toThrow(RangeError);
  });
});
