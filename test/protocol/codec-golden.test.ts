/**
 * Golden fixtures: the exact bytes of one canonical message of each kind (format version 1).
 * `fixtures/replication-v1.json` is the contract: if this test fails, the wire format changed.
 * A deliberate change means a new format version (docs/cluster-wire-format.md); only then
 * regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run test/protocol
 * and commit the new fixtures with the version bump.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/protocol/codec.js';
import { canonical } from './messages.js';

const fixturePath = new URL('./fixtures/replication-v1.json', import.meta.url);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

if (process.env['UPDATE_GOLDEN'] === '1') {
  const fixtures = Object.fromEntries(
    Object.entries(canonical).map(([name, message]) => [name, hex(encodeMessage(message))]),
  );
  writeFileSync(fixturePath, `${JSON.stringify(fixtures, null, 2)}\n`);
}

const golden = JSON.parse(readFileSync(fixturePath, 'utf8')) as Record<string, string>;

describe('replication wire format v1 (golden fixtures)', () => {
  it('has a fixture for every canonical message and no other', () => {
    expect(Object.keys(golden).sort()).toEqual(Object.keys(canonical).sort());
  });

  for (const [name, message] of Object.entries(canonical)) {
    it(`${name}: encodes to exactly the committed bytes`, () => {
      expect(hex(encodeMessage(message))).toBe(golden[name]);
    });

    it(`${name}: the committed bytes decode to the message`, () => {
      const decoded = decodeMessage(Buffer.from(golden[name] ?? '', 'hex'));
      expect(decoded).toEqual({ ok: true, message });
    });
  }

  it('the worked example in docs/cluster-wire-format.md is the empty heartbeat', () => {
    const protocol = readFileSync(
      new URL('../../docs/cluster-wire-format.md', import.meta.url),
      'utf8',
    );
    const spaced = (golden['heartbeat-empty'] ?? '').replace(/(..)(?!$)/g, '$1 ');
    expect(protocol).toContain(spaced);
  });
});
