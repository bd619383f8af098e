/**
 * The node bus on the in-memory network: typed channels over one member, the envelope's golden
 * bytes, MACs, rotation, the freshness check and the replay check. Frames are injected by a raw member of the same
 * network, as a publisher on the Redis channels would; absence is shown with a marker sent after.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import type { BusChannelKind, NodeBus } from '../../src/ports/node-bus.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/transports/bus-envelope.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';
import { waitFor } from '../support/wait-for.js';
import golden from './fixtures/bus-envelope-v2.json' with { type: 'json' };

const SECRET = 'node-bus-test-secret-of-32-bytes!!';
const OLD_SECRET = 'node-bus-old-secret-of-32-bytes!!!';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function record(bus: NodeBus, kind: BusChannelKind = 'tracker'): Array<[string, string]> {
  const frames: Array<[string, string]> = [];
  bus
    .channel(kind)
    .onFrame((frame, sender) => frames.push([Buffer.from(frame).toString(), sender]));
  return frames;
}

function network() {
  const net = createInMemoryBus();
  const open = (id: string, options?: Parameters<typeof net.createNodeBus>[1]) => {
    const bus = net.createNodeBus(id, options);
    closers.push(() => bus.close());
    return bus;
  };
  const raw = net.createTransport('raw');
  closers.push(() => raw.close());
  return { open, raw };
}

const text = (value: string) => Buffer.from(value);

describe('node bus envelope: golden bytes', () => {
  for (const c of golden.cases) {
    it(`encodes "${c.name}" exactly as documented`, () => {
      const secret = c.secret === null ? undefined : Buffer.from(c.secret, 'utf8');
      const fields = {
        kind: c.kind as BusChannelKind,
        sender: c.sender,
        target: c.target ?? undefined,
        incarnation: BigInt(c.incarnation),
        seq: BigInt(c.seq),
        sentAtMs: Number(c.sentAtMs),
      };
      const frame = Buffer.from(c.frameHex, 'hex');
      expect(encodeEnvelope(fields, frame, secret).toString('hex')).toBe(c.envelopeHex);
      const decoded = decodeEnvelope(Buffer.from(c.envelopeHex, 'hex'));
      expect(decoded).toMatchObject({ ok: true, ...fields });
      if (!decoded.ok) return;
      expect(Buffer.from(decoded.frame).toString('hex')).toBe(c.frameHex);
      if (secret === undefined) {
        expect(decoded.mac.byteLength).toBe(0);
        return;
      }
      // The MAC input as docs/cluster-wire-format.md states it: every byte before the MAC length, then the frame.
      const bytes = Buffer.from(c.envelopeHex, 'hex');
      const signedLength = bytes.byteLength - frame.byteLength - 33;
      expect(bytes[signedLength]).toBe(32);
      const mac = createHmac('sha256', secret)
        .update(bytes.subarray(0, signedLength))
        .update(frame)
        .digest();
      expect(Buffer.from(decoded.mac).equals(mac)).toBe(true);
    });
  }
});

describe('node bus', () => {
  it('keeps channels apart and hands handlers the sender', async () => {
    const { open } = network();
    const [a, b] = [open('a'), open('b')];
    const [tracker, delivery, graph] = [
      record(b, 'tracker'),
      record(b, 'delivery'),
      record(b, 'graph'),
    ];
    a.channel('graph').broadcast(text('g'));
    a.channel('delivery').sendTo('b', text('d'));
    a.channel('tracker').broadcast(text('t'));
    await waitFor(() => tracker.length === 1);
    expect([tracker, delivery, graph]).toEqual([[['t', 'a']], [['d', 'a']], [['g', 'a']]]);
  });

  it('accepts frames signed with the shared secret; drops and counts unsigned, wrong and tampered ones', async () => {
    const { open, raw } = network();
    const a = open('a', { clusterSecret: SECRET });
    const b = open('b', { clusterSecret: SECRET });
    const atB = record(b);
    const fields = {
      kind: 'tracker' as const,
      sender: 'a',
      target: undefined,
      seq: 1n,
      sentAtMs: Date.now(),
    };
    raw.broadcast(encodeEnvelope({ ...fields, incarnation: 1n }, text('unsigned'), undefined));
    raw.broadcast(
      encodeEnvelope({ ...fields, incarnation: 2n }, text('wrong'), Buffer.from(OLD_SECRET)),
    );
    const tampered = encodeEnvelope(
      { ...fields, incarnation: 3n },
      text('tampered'),
      Buffer.from(SECRET),
    );
    const last = tampered.byteLength - 1;
    tampered.writeUInt8(tampered.readUInt8(last) ^ 1, last);
    raw.broadcast(tampered);
    a.channel('tracker').broadcast(text('genuine'));
    await waitFor(() => atB.length === 1);
    expect(atB).toEqual([['genuine', 'a']]);
    expect(b.stats().framesDroppedUnauthenticated).toBe(3);
  });

  it('drops a replayed frame, and older incarnations; a newer incarnation starts over', async () => {
    const { open, raw } = network();
    const b = open('b', { clusterSecret: SECRET });
    const atB = record(b);
    const key = Buffer.from(SECRET);
    const send = (incarnation: bigint, seq: bigint, body: string) =>
      raw.broadcast(
        encodeEnvelope(
          {
            kind: 'tracker',
            sender: 'a',
            target: undefined,
            incarnation,
            seq,
            sentAtMs: Date.now(),
          },
          text(body),
          key,
        ),
      );
    send(10n, 5n, 'first');
    send(10n, 5n, 'replay');
    send(10n, 4n, 'older seq');
    send(9n, 100n, 'older incarnation');
    send(11n, 1n, 'restarted');
    send(11n, 2n, 'next');
    await waitFor(() => atB.length === 3);
    expect(atB.map(([body]) => body)).toEqual(['first', 'restarted', 'next']);
    expect(b.stats().framesDroppedReplayed).toBe(3);
  });

  it('ignores a direct frame addressed to another node', async () => {
    const { open, raw } = network();
    const b = open('b');
    const atB = record(b);
    const frame = (target: string, body: string) =>
      encodeEnvelope(
        { kind: 'tracker', sender: 'a', target, incarnation: 1n, seq: 1n, sentAtMs: Date.now() },
        text(body),
        undefined,
      );
    raw.sendTo('b', frame('c', 'for c'));
    raw.sendTo('b', frame('b', 'for b'));
    await waitFor(() => atB.length === 1);
    expect(atB).toEqual([['for b', 'a']]);
  });

  it('rotation: a node signing with the new secret reaches one that accepts the new and the old', async () => {
    const { open } = network();
    const rotated = open('a', { clusterSecret: SECRET, previousClusterSecret: OLD_SECRET });
    const notYet = open('b', { clusterSecret: OLD_SECRET });
    const done = open('c', { clusterSecret: SECRET });
    const [atRotated, atDone] = [record(rotated), record(done)];
    notYet.channel('tracker').broadcast(text('old key'));
    done.channel('tracker').broadcast(text('new key'));
    await waitFor(() => atRotated.length === 2);
    expect(atRotated.map(([body]) => body).sort()).toEqual(['new key', 'old key']);
    // A node already on the new key alone no longer accepts the old one.
    notYet.channel('tracker').sendTo('c', text('old key to c'));
    rotated.channel('tracker').sendTo('c', text('marker'));
    await waitFor(() => atDone.length === 1);
    expect(atDone).toEqual([['marker', 'a']]);
    expect(done.stats().framesDroppedUnauthenticated).toBeGreaterThanOrEqual(1);
  });

  it('rotation, phases 1 and 2: a node accepting the next key hears one signing with it, and is heard', async () => {
    const { open } = network();
    // Phase 1: signs with the old key, also accepts the new; phase 2: the other way round.
    const phase1 = open('a', { clusterSecret: OLD_SECRET, nextClusterSecret: SECRET });
    const phase2 = open('b', { clusterSecret: SECRET, previousClusterSecret: OLD_SECRET });
    const [at1, at2] = [record(phase1), record(phase2)];
    phase1.channel('tracker').broadcast(text('from phase 1'));
    phase2.channel('tracker').broadcast(text('from phase 2'));
    await waitFor(() => at1.length === 1 && at2.length === 1);
    expect([at1, at2]).toEqual([[['from phase 2', 'b']], [['from phase 1', 'a']]]);
  });

  it('refuses a short secret, and a previous or next one alone', () => {
    const net = createInMemoryBus();
    expect(() => net.createNodeBus('a', { clusterSecret: 'short' })).toThrow(InvalidOptionError);
    expect(() => net.createNodeBus('a', { previousClusterSecret: SECRET })).toThrow(
      /previousClusterSecret needs clusterSecret/,
    );
    expect(() => net.createNodeBus('a', { nextClusterSecret: SECRET })).toThrow(
      /nextClusterSecret needs clusterSecret/,
    );
  });

  it('drops a frame sent before the receiver started, or outside the replay window either way', async () => {
    const { open, raw } = network();
    const b = open('b', { clusterSecret: SECRET, replayWindowMs: 10_000 });
    const atB = record(b);
    const key = Buffer.from(SECRET);
    let seq = 0n;
    const send = (sentAtMs: number, body: string) => {
      seq += 1n;
      raw.broadcast(
        encodeEnvelope(
          { kind: 'tracker', sender: 'a', target: undefined, incarnation: 1n, seq, sentAtMs },
          text(body),
          key,
        ),
      );
    };
    // Signed a minute before b started: within no window b could have seen it live.
    send(Date.now() - 60_000, 'recorded before the start');
    send(Date.now() + 60_000, 'from the future');
    send(Date.now(), 'fresh');
    await waitFor(() => atB.length === 1);
    expect(atB).toEqual([['fresh', 'a']]);
    expect(b.stats().framesDroppedReplayed).toBe(2);
  });

  it('has one link state: every channel goes down and up with the bus', async () => {
    const net = createInMemoryBus();
    const a = net.createNodeBus('a');
    closers.push(() => a.close());
    const events: string[] = [];
    a.onLinkChange((up) => events.push(`bus ${up}`));
    a.channel('graph').onLinkChange((up) => events.push(`graph ${up}`));
    net.setLinkUp('a', false);
    expect(a.isLinkUp() || a.channel('tracker').isLinkUp()).toBe(false);
    net.setLinkUp('a', true);
    expect(events).toEqual(['bus false', 'graph false', 'bus true', 'graph true']);
    // Closing one channel leaves the others working.
    await a.channel('graph').close();
    expect(a.channel('tracker').isLinkUp()).toBe(true);
  });
});
