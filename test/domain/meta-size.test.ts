/** The one measure of a meta's size, used by the gateway's bound and the replication wire's. */
import { describe, expect, it } from 'vitest';
import { metaSizeProblem } from '../../src/domain/limits.js';
import { MAX_WIRE_META_BYTES, wireMetaSizeProblem } from '../../src/protocol/meta-limits.js';

describe('metaSizeProblem', () => {
  it('counts keys first, then UTF-8 bytes of JSON', () => {
    expect(metaSizeProblem({ a: 1, b: 2 }, 2, 100)).toBeUndefined();
    expect(metaSizeProblem({ a: 1, b: 2, c: 3 }, 2, 100)).toBe('meta: 3 keys, more than 2');
    // {"é":"é"} is 9 characters and 11 bytes.
    expect(metaSizeProblem({ é: 'é' }, 5, 11)).toBeUndefined();
    expect(metaSizeProblem({ é: 'é' }, 5, 10)).toBe('meta: 11 bytes of JSON, more than 10');
  });

  it('bounds the wire at the gateway limits plus room for the server fields', () => {
    const fits = { s: 'x'.repeat(MAX_WIRE_META_BYTES - 8) };
    expect(JSON.stringify(fits)).toHaveLength(MAX_WIRE_META_BYTES);
    expect(wireMetaSizeProblem(fits)).toBeUndefined();
    expect(wireMetaSizeProblem({ s: `${fits.s}x` })).toMatch(/bytes of JSON, more than/);
  });
});
