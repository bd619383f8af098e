/**
 * Per-socket outboxes of presence diffs: every change a socket is owed waits in its outbox, folded
 * per user key (key-change.ts), and goes out as one `presence_diff` message when the outbox is
 * flushed. A socket watching 100 friends who all reconnect within the window gets one write, not
 * 100.
 *
 * When: an outbox is due `window` after its first owed change, the window read when it is
 * drained (batch-window.ts: 0 while the node keeps up, so a change goes out at the end of the very
 * turn that made it, merged only with that turn's others; up to `maxBatchDelayMs` while it is
 * behind; a window that shrinks makes the outboxes waiting on it due at once). A socket whose
 * transport is still busy with its last write keeps merging until it drains or `maxBatchDelayMs`
 * passed. Flushing runs in slices of at most `SLICE_MS`, yielding between them, so timers (the
 * replica's heartbeats and down detection) and I/O never wait behind a big fan-out.
 *
 * Cost: owing a change is O(1) and, for a socket owed one key at a time (the calm case),
 * allocates nothing: the outbox (one per socket, kept while it is open) holds that key in a
 * field, and a map only from a second key on (kept, cleared, for the next storm).
 *
 * Encoding: a message is composed from the keys' JSON fragments, each encoded once for all the
 * sockets it reaches; an outbox owed a single change sends that change's one shared packet.
 *
 * Privacy: a socket that stops watching a user takes that user's owed change out of its outbox
 * ({@link DiffOutboxes.withdraw}) in the same synchronous step as it leaves the topic, so nothing
 * of a topic it no longer watches is ever written to it.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import { EVENT_LOOP_SLICE_MS } from '../../options/timing.js';
import type { Clock, Timers } from '../../ports/clock.js';
import { BatchWindow } from './batch-window.js';
import { type DiffPacket, DiffPacketEncoder } from './diff-packet.js';
import {
  KeyChange,
  type OwedDifference,
  type OwedKey,
  owedDifference,
  PendingKey,
} from './key-change.js';

/** The longest a flush slice holds the event loop before yielding (src/options/timing.ts). */
export const SLICE_MS = EVENT_LOOP_SLICE_MS;
/** How often the window looks at the event-loop utilisation. */
const ADAPT_EVERY_MS = 200;
/** A socket whose transport is busy is looked at again after this long. */
const BUSY_RETRY_MS = 10;

interface Outbox {
  readonly socket: PresenceSocket;
  /** The first key owed since the last write (most outboxes are owed one). */
  one: OwedKey | undefined;
  /** The other keys owed: made at the first second key, then kept and cleared. */
  more: Map<string, OwedKey> | undefined;
  /** When the first change now owed arrived: due `window` after it. */
  since: number;
  /** Not due before this (a busy transport's retry), or 0. */
  notBefore: number;
  queued: boolean;
  closed: boolean;
}

/** The share (0..1) of the time since its last call that the event loop was busy. */
export type LoopUtilization = () => number;

/**
 * This process's event-loop utilisation (node:perf_hooks), period by period. Not capped by the
 * CPU time the process got: a loop held by a busy host is behind as much as one held by its own
 * work, and merging writes saves the CPU it cannot get (measured: with the cap, a connect cost
 * more CPU on a shared host, `npm run bench:connect`).
 */
export function processLoopUtilization(): LoopUtilization {
  let last = performance.eventLoopUtilization();
  return () => {
    const next = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(next, last);
    last = next;
    return utilization;
  };
}

export interface DiffOutboxStats {
  /** `presence_diff` messages written. */
  readonly messages: number;
  /** Metas they carried (each a delivery of one change to one socket). */
  readonly metas: number;
  /** The current batch window, ms. */
  readonly windowMs: number;
  /** Sockets with owed changes now. */
  readonly pending: number;
}

export class DiffOutboxes {
  private readonly outboxes = new Map<string, Outbox>();
  /** Outboxes waiting to be flushed, in due order (FIFO; `head` is the next). */
  private queue: Outbox[] = [];
  private head = 0;
  private readonly window: BatchWindow;
  private readonly encoder: DiffPacketEncoder;
  private timer: unknown;
  private immediate: NodeJS.Immediate | undefined;
  private adapter: unknown;
  /** When the adapter's timer should fire: how late it fires is the event loop's lag. */
  private lookAt = 0;
  /** The longest lateness seen since the last look, ms (batch-window.ts). */
  private lateMs = 0;
  /** When the window last shrank: the outboxes it made due were not late before. */
  private shrunkAt = Number.NEGATIVE_INFINITY;
  private messages = 0;
  private metas = 0;
  /** Each shared change's packet and frame, encoded once for every socket it reaches alone. */
  private readonly packets = new WeakMap<KeyChange, SharedPacket | null>();

  constructor(
    namespace: string,
    minDelayMs: number,
    private readonly maxDelayMs: number,
    /** False when the server's parser is not socket.io's default: diffs go through emit. */
    private readonly raw: boolean,
    /** The server's clock: due times, slices and the window's adaptation. */
    private readonly clock: Clock & Timers,
    /** The event loop's utilisation since the last look (the process's, by default). */
    private readonly utilization: LoopUtilization = processLoopUtilization(),
    /** Handshakes waiting for an admission slot now (a connect storm's backlog). */
    private readonly handshakesWaiting: () => number = () => 0,
  ) {
    this.window = new BatchWindow(minDelayMs, maxDelayMs);
    this.encoder = new DiffPacketEncoder(namespace);
    this.adapt();
  }

  /**
   * Looks at the signals every ADAPT_EVERY_MS while open: the event-loop utilisation, the look's
   * own lag, how late the outboxes are and the handshakes waiting (batch-window.ts).
   */
  private readonly adapt = (): void => {
    this.lookAt = this.clock.now() + ADAPT_EVERY_MS;
    this.adapter = this.clock.setTimeout(() => {
      const now = this.clock.now();
      const head = this.queue[this.head];
      const waiting = head === undefined ? 0 : this.lateness(head, now);
      const was = this.window.ms;
      this.window.observe({
        utilization: this.utilization(),
        lateMs: Math.max(this.lateMs, now - this.lookAt, waiting),
        handshakesWaiting: this.handshakesWaiting(),
      });
      this.lateMs = 0;
      if (this.window.ms < was) {
        // A shorter window makes outboxes due sooner than the timer set for the head.
        this.shrunkAt = now;
        this.rewake();
      }
      this.adapt();
    }, ADAPT_EVERY_MS);
  };

  /** `socket` is owed `change` (it watches the change's topic now). */
  owe(socket: PresenceSocket, change: KeyChange): void {
    let box = this.outboxes.get(socket.id);
    if (box === undefined) {
      box = {
        socket,
        one: undefined,
        more: undefined,
        since: 0,
        notBefore: 0,
        queued: false,
        closed: false,
      };
      this.outboxes.set(socket.id, box);
    }
    const one = box.one;
    if (one === undefined) {
      if (box.more === undefined || box.more.size === 0) box.one = change;
      else foldInto(box.more, change);
    } else if (one.key === change.key) box.one = folded(one, change);
    else {
      box.more ??= new Map();
      foldInto(box.more, change);
    }
    if (!box.queued) {
      box.since = this.clock.now();
      box.notBefore = 0;
      this.enqueue(box);
    }
  }

  /**
   * Takes what `socketId` is owed for `key` out of its outbox, for a socket that stops watching
   * that user now: the caller sends the leaves itself, of what the socket holds (the tracker's
   * metas, less `joined`, plus `left`).
   */
  withdraw(socketId: string, key: string): OwedDifference | undefined {
    const box = this.outboxes.get(socketId);
    if (box === undefined) return undefined;
    let change: OwedKey | undefined;
    if (box.one?.key === key) {
      change = box.one;
      box.one = undefined;
    } else {
      change = box.more?.get(key);
      if (change !== undefined) box.more!.delete(key);
    }
    return change === undefined ? undefined : owedDifference(change);
  }

  /** Writes what `socketId` is owed now, whatever the window (the rest of its queue entry is a no-op). */
  flushNow(socketId: string): void {
    const box = this.outboxes.get(socketId);
    if (box !== undefined && owesAny(box)) this.flush(box);
  }

  /** The socket closed: what it was owed is dropped. */
  drop(socketId: string): void {
    const box = this.outboxes.get(socketId);
    if (box === undefined) return;
    box.closed = true;
    this.outboxes.delete(socketId);
  }

  /** The batch window now, ms (what other per-socket batching waits as long as). */
  get windowMs(): number {
    return this.window.ms;
  }

  stats(): DiffOutboxStats {
    return {
      messages: this.messages,
      metas: this.metas,
      windowMs: this.windowMs,
      pending: this.queue.length - this.head,
    };
  }

  close(): void {
    this.clock.clearTimeout(this.adapter);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    for (const box of this.outboxes.values()) box.closed = true;
    this.outboxes.clear();
    this.queue = [];
    this.head = 0;
  }

  // ── flushing ───────────────────────────────────────────────────────────────────────────────

  private enqueue(box: Outbox): void {
    box.queued = true;
    this.queue.push(box);
    if (this.queue.length - this.head === 1) this.wake();
  }

  /** When `box` is due: `window` after its first owed change, as the window is now. */
  private dueAt(box: Outbox): number {
    return Math.max(box.since + this.window.ms, box.notBefore);
  }

  /** How long past its due time `box` still waits at `now` (negative: not due yet). */
  private lateness(box: Outbox, now: number): number {
    return now - Math.max(this.dueAt(box), this.shrunkAt);
  }

  /** Sets the drain's timer again, for a head that became due sooner. */
  private rewake(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  /** Runs the drain when the head of the queue is due (at once after this turn, or by timer). */
  private wake(): void {
    if (this.immediate !== undefined) return;
    const next = this.queue[this.head];
    if (next === undefined) return;
    const wait = this.dueAt(next) - this.clock.now();
    if (wait <= 0) {
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(this.drain);
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, wait);
  }

  private readonly drain = (): void => {
    this.immediate = undefined;
    const started = this.clock.now();
    let now = started;
    let flushed = 0;
    const first = this.queue[this.head];
    // The head is the longest waiting: how late it is tells whether the drain keeps up.
    if (first !== undefined) this.lateMs = Math.max(this.lateMs, this.lateness(first, now));
    while (this.head < this.queue.length) {
      const box = this.queue[this.head]!;
      if (this.dueAt(box) > now) break;
      this.head++;
      box.queued = false;
      if (box.closed || !owesAny(box)) continue;
      if (!transportWritable(box.socket) && now - box.since < this.maxDelayMs) {
        box.notBefore = now + BUSY_RETRY_MS;
        box.queued = true;
        this.queue.push(box);
        continue;
      }
      this.flush(box);
      if (++flushed % 32 === 0) {
        now = this.clock.now();
        if (now - started >= SLICE_MS) break;
      }
    }
    this.compact();
    this.wake();
  };

  private flush(box: Outbox): void {
    const { one, more } = box;
    let packet: DiffPacket | SharedPacket | undefined;
    if (more === undefined || more.size === 0) {
      packet = one instanceof KeyChange ? this.sharedPacket(one) : this.encoder.encode([one!]);
    } else {
      packet = this.encoder.encode(one === undefined ? more.values() : [one, ...more.values()]);
      more.clear();
    }
    box.one = undefined;
    if (packet === undefined) return;
    this.messages++;
    this.metas += packet.metas;
    if (!this.raw) box.socket.emit('presence_diff', DiffPacketEncoder.diffOf(packet));
    else
      box.socket.conn.write(
        packet.packet,
        ('frame' in packet ? packet.frame : undefined) as WriteOptions,
      );
  }

  private sharedPacket(change: KeyChange): SharedPacket | undefined {
    let shared = this.packets.get(change);
    if (shared === undefined) {
      const packet = this.encoder.encode([change]);
      shared = packet === undefined ? null : { ...packet, frame: preEncodedFrame(packet.packet) };
      this.packets.set(change, shared);
    }
    return shared ?? undefined;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

type WriteOptions = Parameters<PresenceSocket['conn']['write']>[1];

function owesAny(box: Outbox): boolean {
  return box.one !== undefined || (box.more !== undefined && box.more.size > 0);
}

/** `owed` with `change` folded in (key-change.ts). */
function folded(owed: OwedKey, change: KeyChange): PendingKey {
  const pending = owed instanceof PendingKey ? owed : PendingKey.of(owed);
  pending.add(change);
  return pending;
}

function foldInto(owed: Map<string, OwedKey>, change: KeyChange): void {
  const was = owed.get(change.key);
  owed.set(change.key, was === undefined ? change : folded(was, change));
}

/** A packet shared by many sockets, with its WebSocket frame built once (as socket.io does). */
interface SharedPacket extends DiffPacket {
  readonly frame: { wsPreEncodedFrame: Buffer[] } | undefined;
}

const wsSender = (WebSocket as unknown as { Sender?: { frame?: FrameBuilder } }).Sender;
type FrameBuilder = (data: Buffer, options: Record<string, boolean | number>) => Buffer[];

/**
 * engine.io writes a message's WebSocket frame as given in `wsPreEncodedFrame` instead of framing
 * it per socket (socket.io's own broadcasts do this): `4` is engine.io's message type.
 */
function preEncodedFrame(packet: string): { wsPreEncodedFrame: Buffer[] } | undefined {
  const frame = wsSender?.frame;
  if (typeof frame !== 'function') return undefined;
  const data = Buffer.from(`4${packet}`);
  const options = { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true };
  return { wsPreEncodedFrame: frame(data, options) };
}

function transportWritable(socket: PresenceSocket): boolean {
  return (socket.conn.transport as { writable?: boolean } | undefined)?.writable !== false;
}
