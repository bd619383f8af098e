/**
 * Per-socket outboxes of presence diffs: every change a socket is owed waits in its outbox, folded
 * per user key (key-change.ts), and goes out as one `presence_diff` message when the outbox is
 * flushed. A socket watching 100 friends who all reconnect within the window gets one write, not
 * 100.
 *
 * When: an outbox is due `window` after its first owed change, the window adapting to load
 * (batch-window.ts: 0 when the node is idle, so a change goes out right after the turn that made
 * it). A socket whose transport is still busy with its last write keeps merging until it drains
 * or `maxBatchDelayMs` passed. Flushing runs in slices of at most `SLICE_MS`, yielding between
 * them, so timers (the replica's heartbeats and down detection) and I/O never wait behind a big
 * fan-out.
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
  readonly owed: Map<string, OwedKey>;
  /** When the first change now owed arrived. */
  since: number;
  dueAt: number;
  queued: boolean;
  closed: boolean;
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
  private utilization = performance.eventLoopUtilization();
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
  ) {
    this.window = new BatchWindow(minDelayMs, maxDelayMs);
    this.encoder = new DiffPacketEncoder(namespace);
    this.adapt();
  }

  /** Looks at the event-loop utilisation every ADAPT_EVERY_MS while open. */
  private readonly adapt = (): void => {
    this.adapter = this.clock.setTimeout(() => {
      const next = performance.eventLoopUtilization();
      this.window.observe(performance.eventLoopUtilization(next, this.utilization).utilization);
      this.utilization = next;
      this.adapt();
    }, ADAPT_EVERY_MS);
  };

  /** `socket` is owed `change` (it watches the change's topic now). */
  owe(socket: PresenceSocket, change: KeyChange): void {
    let box = this.outboxes.get(socket.id);
    if (box === undefined) {
      box = { socket, owed: new Map(), since: 0, dueAt: 0, queued: false, closed: false };
      this.outboxes.set(socket.id, box);
    }
    const owed = box.owed.get(change.key);
    if (owed === undefined) box.owed.set(change.key, change);
    else if (owed instanceof PendingKey) owed.add(change);
    else {
      const pending = PendingKey.of(owed);
      pending.add(change);
      box.owed.set(change.key, pending);
    }
    if (!box.queued) {
      const now = this.clock.now();
      box.since = now;
      box.dueAt = now + this.window.ms;
      this.enqueue(box);
    }
  }

  /**
   * Takes what `socketId` is owed for `key` out of its outbox, for a socket that stops watching
   * that user now: the caller sends the leaves itself, of what the socket holds (the tracker's
   * metas, less `joined`, plus `left`).
   */
  withdraw(socketId: string, key: string): OwedDifference | undefined {
    const owed = this.outboxes.get(socketId)?.owed;
    const change = owed?.get(key);
    if (change === undefined) return undefined;
    owed!.delete(key);
    return owedDifference(change);
  }

  /** Writes what `socketId` is owed now, whatever the window (the rest of its queue entry is a no-op). */
  flushNow(socketId: string): void {
    const box = this.outboxes.get(socketId);
    if (box !== undefined && box.owed.size > 0) this.flush(box);
  }

  /** The socket closed: what it was owed is dropped. */
  drop(socketId: string): void {
    const box = this.outboxes.get(socketId);
    if (box === undefined) return;
    box.closed = true;
    this.outboxes.delete(socketId);
  }

  stats(): DiffOutboxStats {
    return {
      messages: this.messages,
      metas: this.metas,
      windowMs: this.window.ms,
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

  /** Runs the drain when the head of the queue is due (at once after this turn, or by timer). */
  private wake(): void {
    if (this.immediate !== undefined) return;
    const next = this.queue[this.head];
    if (next === undefined) return;
    const wait = next.dueAt - this.clock.now();
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
    while (this.head < this.queue.length) {
      const box = this.queue[this.head]!;
      if (box.dueAt > now) break;
      this.head++;
      box.queued = false;
      if (box.closed || box.owed.size === 0) continue;
      if (!transportWritable(box.socket) && now - box.since < this.maxDelayMs) {
        box.dueAt = now + BUSY_RETRY_MS;
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
    const owed = box.owed;
    const only = owed.size === 1 ? (owed.values().next().value as OwedKey) : undefined;
    const packet: DiffPacket | SharedPacket | undefined =
      only instanceof KeyChange ? this.sharedPacket(only) : this.encoder.encode(owed.values());
    owed.clear();
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
