/**
 * The conformance suite every ReplicationTransport adapter runs through its own test file:
 * `describeTransportContract('in-memory', () => testBed)`.
 *
 * Absence of a frame is never asserted by waiting: a causal marker is sent after it instead
 * (per-sender order, or a reply sent after the first frame arrived), and once the marker is
 * in, anything that should not have arrived would have arrived before it.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import type { ReplicationTransport } from '../../src/ports/bus-channel.js';
import { waitFor } from '../support/wait-for.js';

export interface TransportTestBed {
  /** Opens transports with these ids on one network; resolves once all their links are up. */
  connect(ids: readonly string[]): Promise<ReplicationTransport[]>;
  /**
   * Takes the link of `id` down, and possibly others' too (a stopped Redis takes all down).
   * Resolves once every affected open transport reports its link down.
   */
  takeLinkDown(id: string): Promise<void>;
  /** Undoes takeLinkDown; resolves once every open transport's link is up again. */
  bringLinkUp(id: string): Promise<void>;
  /** Closes everything connect() opened and restores the links; runs after each test. */
  teardown(): Promise<void>;
}

/** Records what a transport receives, as copies (a frame is only valid during the handler). */
function record(transport: ReplicationTransport): Uint8Array[] {
  const frames: Uint8Array[] = [];
  transport.onFrame((frame) => frames.push(Uint8Array.from(frame)));
  return frames;
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function texts(frames: readonly Uint8Array[]): string[] {
  return frames.map((frame) => new TextDecoder().decode(frame));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** Deterministic bytes that differ at every offset modulo 251, so a shifted slice shows. */
function patternFrame(length: number): Uint8Array {
  const frame = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) frame[i] = (i * 7 + 3) % 251;
  return frame;
}

const tricky: ReadonlyArray<readonly [string, Uint8Array]> = [
  ['an empty frame', new Uint8Array(0)],
  ['all 256 byte values', Uint8Array.from({ length: 256 }, (_, i) => i)],
  ['a frame that looks like an envelope', Uint8Array.from([1, 0x61, 0, 0xff, 0xc0])],
  ['a single zero byte', Uint8Array.from([0])],
  ['a 1 MiB frame', patternFrame(1024 * 1024)],
];

export function describeTransportContract(
  name: string,
  createTestBed: () => TransportTestBed | Promise<TransportTestBed>,
): void {
  describe(`ReplicationTransport contract: ${name}`, () => {
    let bed: TransportTestBed;

    beforeEach(async () => {
      bed = await createTestBed();
    });

    afterEach(async () => {
      await bed.teardown();
    });

    it('broadcast reaches every other replica, never the sender', async () => {
      const [a, b, c] = await bed.connect(['a', 'b', 'c']);
      const [atA, atB, atC] = [record(a!), record(b!), record(c!)];
      b!.onFrame(() => b!.sendTo('a', text('marker')));
      a!.broadcast(text('hello'));
      await waitFor(() => atC.length === 1 && atA.length === 1, {
        description: 'hello and marker',
      });
      expect(texts(atB)).toEqual(['hello']);
      expect(texts(atC)).toEqual(['hello']);
      // The marker left b after a's broadcast was published: a's echo would have come first.
      expect(texts(atA)).toEqual(['marker']);
    });

    it('sendTo reaches only its target', async () => {
      const [a, b, c] = await bed.connect(['a', 'b', 'c']);
      const [atA, atB, atC] = [record(a!), record(b!), record(c!)];
      b!.onFrame(() => b!.broadcast(text('marker')));
      a!.sendTo('b', text('direct'));
      await waitFor(() => atA.length === 1 && atC.length === 1, { description: 'the marker' });
      expect(texts(atB)).toEqual(['direct']);
      expect(texts(atA)).toEqual(['marker']);
      expect(texts(atC)).toEqual(['marker']);
    });

    it('sendTo an unknown replica is silently lost; sendTo self is delivered', async () => {
      const [a] = await bed.connect(['a']);
      const atA = record(a!);
      expect(() => a!.sendTo('nobody', text('lost'))).not.toThrow();
      a!.sendTo('a', text('to myself'));
      await waitFor(() => atA.length === 1, { description: 'the frame to self' });
      expect(texts(atA)).toEqual(['to myself']);
    });

    it('keeps each sender’s order across broadcast and direct frames', async () => {
      const [a, b, c] = await bed.connect(['a', 'b', 'c']);
      const [atB, atC] = [record(b!), record(c!)];
      const sent: string[] = [];
      for (let i = 0; i < 300; i += 1) {
        sent.push(String(i));
        if (i % 2 === 0) a!.broadcast(text(String(i)));
        else a!.sendTo('b', text(String(i)));
      }
      await waitFor(() => atB.length === 300 && atC.length === 150, { description: 'all frames' });
      expect(texts(atB)).toEqual(sent);
      expect(texts(atC)).toEqual(sent.filter((_, i) => i % 2 === 0));
    });

    it.each(tricky)('delivers %s byte for byte, broadcast and direct', async (_label, frame) => {
      const [a, b] = await bed.connect(['a', 'b']);
      const atB = record(b!);
      a!.broadcast(frame);
      a!.sendTo('b', frame);
      await waitFor(() => atB.length === 2, { description: 'both frames' });
      for (const received of atB) {
        expect(received.byteLength).toBe(frame.byteLength);
        expect(sameBytes(received, frame)).toBe(true);
      }
    });

    it('a sender reusing its buffer right after sending does not change what was sent', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      const atB = record(b!);
      const buffer = text('first');
      a!.broadcast(buffer);
      buffer.fill(0x2a);
      await waitFor(() => atB.length === 1, { description: 'the frame' });
      expect(texts(atB)).toEqual(['first']);
    });

    it('every handler gets every frame; unsubscribing stops only that handler', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      const kept = record(b!);
      const removed: Uint8Array[] = [];
      const unsubscribe = b!.onFrame((frame) => removed.push(frame));
      a!.broadcast(text('one'));
      await waitFor(() => kept.length === 1 && removed.length === 1, { description: 'frame one' });
      unsubscribe();
      unsubscribe();
      a!.broadcast(text('two'));
      await waitFor(() => kept.length === 2, { description: 'frame two' });
      expect(removed).toHaveLength(1);
    });

    it('a throwing handler neither stops other handlers nor later frames', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      b!.onFrame(() => {
        throw new Error('handler bug');
      });
      const atB = record(b!);
      a!.broadcast(text('one'));
      a!.broadcast(text('two'));
      await waitFor(() => atB.length === 2, { description: 'both frames' });
      expect(b!.stats().handlerErrors).toBe(2);
    });

    it('counts frames sent and received', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      const atB = record(b!);
      a!.broadcast(text('one'));
      a!.sendTo('b', text('two'));
      await waitFor(() => atB.length === 2, { description: 'both frames' });
      expect(a!.stats()).toMatchObject({ framesSent: 2, framesDroppedLinkDown: 0 });
      expect(b!.stats()).toMatchObject({ framesReceived: 2, framesDroppedMalformed: 0 });
    });

    it('close() stops delivery and events at once, is idempotent, and sending after it throws', async () => {
      const [a, b, c] = await bed.connect(['a', 'b', 'c']);
      const [atB, atC] = [record(b!), record(c!)];
      const linkEventsAtB: boolean[] = [];
      b!.onLinkChange((up) => linkEventsAtB.push(up));
      const first = b!.close();
      await Promise.all([first, b!.close()]);
      await b!.close();
      expect(b!.isLinkUp()).toBe(false);
      for (const send of [() => b!.broadcast(text('x')), () => b!.sendTo('a', text('x'))]) {
        expect(send).toThrow(TransportError);
        expect(send).toThrow(expect.objectContaining({ code: 'PRESENCE_TRANSPORT_CLOSED' }));
      }
      a!.broadcast(text('after close'));
      a!.sendTo('b', text('direct after close'));
      await waitFor(() => atC.length === 1, { description: 'the broadcast at c' });
      expect(atB).toEqual([]);
      expect(linkEventsAtB).toEqual([]);
    });

    it('a closed id can join again and receives direct frames (a restarted node)', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      await b!.close();
      const [b2] = await bed.connect(['b']);
      const atB2 = record(b2!);
      a!.sendTo('b', text('welcome back'));
      await waitFor(() => atB2.length === 1, { description: 'the direct frame' });
      expect(texts(atB2)).toEqual(['welcome back']);
    });

    it('link down: nothing flows, sends are dropped and counted, handlers hear it', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      const [atA, atB] = [record(a!), record(b!)];
      const linkEvents: boolean[] = [];
      const ignored: boolean[] = [];
      a!.onLinkChange((up) => linkEvents.push(up));
      a!.onLinkChange((up) => ignored.push(up))();
      expect(a!.isLinkUp()).toBe(true);

      await bed.takeLinkDown('a');
      expect(a!.isLinkUp()).toBe(false);
      expect(linkEvents).toEqual([false]);
      expect(() => a!.broadcast(text('lost broadcast'))).not.toThrow();
      expect(() => a!.sendTo('b', text('lost direct'))).not.toThrow();
      expect(a!.stats().framesDroppedLinkDown).toBe(2);
      expect(() => b!.sendTo('a', text('lost reply'))).not.toThrow();
      b!.broadcast(text('lost broadcast from b'));

      await bed.bringLinkUp('a');
      expect(a!.isLinkUp()).toBe(true);
      expect(linkEvents).toEqual([false, true]);
      expect(ignored).toEqual([]);
      // Markers sent after the link is back: any frame from the outage would have come first.
      a!.broadcast(text('marker from a'));
      b!.sendTo('a', text('marker from b'));
      await waitFor(() => atA.length === 1 && atB.length === 1, { description: 'both markers' });
      expect(texts(atA)).toEqual(['marker from b']);
      expect(texts(atB)).toEqual(['marker from a']);
    });

    it('close() while the link is down resolves and stays closed', async () => {
      const [a, b] = await bed.connect(['a', 'b']);
      const linkEvents: boolean[] = [];
      await bed.takeLinkDown('a');
      a!.onLinkChange((up) => linkEvents.push(up));
      await a!.close();
      await bed.bringLinkUp('a');
      expect(a!.isLinkUp()).toBe(false);
      expect(linkEvents).toEqual([]);
      const atB = record(b!);
      b!.sendTo('b', text('still working'));
      await waitFor(() => atB.length === 1, { description: 'b works' });
    });
  });
}
