/**
 * Per-socket outboxes of presence diffs: every change a socket is owed waits in its outbox, folded
 * per user key (key-change.ts), and goes out as one `presence_diff` message when the outbox is
 * flushed. A socket watching 100 friends who all reconnect within the window gets one write, not
 * 100.
 *
 * Owing is O(1) and allocates nothing per socket and change: each change is appended once to its
 * topic's log (topic-log.ts), and an outbox holds, per topic, a reference to the first change it
 * is owed; the run from there is folded once for every socket that starts at the same change.
 *
 * When: an outbox is due `window` after its first owed change (batch-window.ts: 0 while the node
 * keeps up, so a change goes out at the end of the turn that made it; up to `maxBatchDelayMs`,
 * seconds, while it is behind), so a socket gets at most one write per window. A socket whose
 * transport is still busy with its last write keeps merging until it drains or `maxBatchDelayMs`
 * passed. Flushing runs in slices of at most `SLICE_MS`, yielding between them, so timers (the
 * replica's heartbeats and down detection) and I/O never wait behind a big fan-out.
 *
 * Encoding: a message is composed from the keys' JSON fragments, each encoded once for all the
 * sockets it reaches; an outbox owed a single key sends that key's one shared packet.
 *
 * Privacy: a socket that stops watching a user takes that user's owed change out of its outbox
 * ({@link DiffOutboxes.withdraw}) in the same synchronous step as it leaves the topic, so nothing
 * of a topic it no longer watches is ever written to it.
 */
import WebSocket from 'ws';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import { EVENT_LOOP_SLICE_MS } from '../../options/timing.js';
import { type Clock, systemCpuClock, type Timers } from '../../ports/clock.js';
import { BatchWindow, LOOK_EVERY_MS } from './batch-window.js';
import { type DiffPacket, DiffPacketEncoder } from './diff-packet.js';
import { type KeyChange, type OwedDifference, owedDifference } from './key-change.js';
import {
  foldRuns,
  type LoggedChange,
  type OwedEntry,
  owedKeyOf,
  type SharedFold,
  type TopicLog,
  TopicLogs,
} from './topic-log.js';

/** The longest a flush slice holds the event loop before yielding (src/options/timing.ts). */
export const SLICE_MS = EVENT_LOOP_SLICE_MS;
/** A socket whose transport is busy is looked at again after this long. */
const BUSY_RETRY_MS = 10;

interface Outbox {
  readonly socket: PresenceSocket;
  /** Per topic's key, the first change owed (the rest follow it in its log). */
  readonly owed: Map<TopicLog, LoggedChange>;
  /** When the first change now owed arrived: due at `since + window`. */
  since: number;
  /** In `queue` or `busy`. */
  queued: boolean;
  /** In `busy`: looked at again from this time. */
  retryAt: number;
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
  /** Outboxes waiting for their window, in the order they were first owed (`head` is the next). */
  private queue: Outbox[] = [];
  private head = 0;
  /** Outboxes whose transport was busy, in retry order (`busyHead` is the next). */
  private busy: Outbox[] = [];
  private busyHead = 0;
  private readonly logs = new TopicLogs();
  private readonly window: BatchWindow;
  private readonly encoder: DiffPacketEncoder;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private immediate: NodeJS.Immediate | undefined;
  private looker: unknown;
  /** Signals since the last look (batch-window.ts). */
  private lateMs = 0;
  private due = 0;
  private busyDue = 0;
  private writingMs = 0;
  private carried = 0;
  private lookedAt: number;
  private cpuAt: number;
  private messages = 0;
  private metas = 0;
  /** Each shared change's or fold's packet and frame, encoded once for every socket it reaches alone. */
  private readonly packets = new WeakMap<object, SharedPacket | null>();

  constructor(
    namespace: string,
    minDelayMs: number,
    private readonly maxDelayMs: number,
    /** False when the server's parser is not socket.io's default: diffs go through emit. */
    private readonly raw: boolean,
    /** The server's clock: due times, slices and the window's looks. */
    private readonly clock: Clock & Timers,
    /** The process's CPU time: whether lateness is the node's own work (batch-window.ts). */
    private readonly cpu: Clock = systemCpuClock,
  ) {
    this.window = new BatchWindow(minDelayMs, maxDelayMs);
    this.encoder = new DiffPacketEncoder(namespace);
    this.lookedAt = clock.now();
    this.cpuAt = cpu.now();
    this.look();
  }

  /** The current window, ms. */
  get windowMs(): number {
    return this.window.ms;
  }

  /** Hands the window its signals every LOOK_EVERY_MS while open. */
  private readonly look = (): void => {
    this.looker = this.clock.setTimeout(() => {
      const now = this.clock.now();
      const cpu = this.cpu.now();
      const next = this.queue[this.head];
      const waiting = next === undefined ? 0 : now - (next.since + this.window.ms);
      this.window.observe({
        lateMs: Math.max(this.lateMs, waiting),
        due: this.due,
        busy: this.busyDue,
        writingMs: this.writingMs,
        sinceLookMs: now - this.lookedAt,
        carried: this.carried,
        cpuMs: cpu - this.cpuAt,
      });
      this.lookedAt = now;
      this.cpuAt = cpu;
      this.lateMs = 0;
      this.due = 0;
      this.busyDue = 0;
      this.writingMs = 0;
      this.carried = 0;
      // The due times follow the window: wake at the new one.
      this.rewake();
      this.look();
    }, LOOK_EVERY_MS);
  };

  /** Appends `change` to `topic`'s log: then owe it to each socket of the topic's room. */
  record(topic: string, change: KeyChange): LoggedChange {
    return this.logs.append(topic, change);
  }

  /** After owing `change` to the room: its log is forgotten if nobody owes it anything. */
  recorded(change: LoggedChange): void {
    this.logs.forgetIfUnheld(change.log);
  }

  /** `socket` is owed `change` (it watches the change's topic now): O(1), nothing allocated. */
  owe(socket: PresenceSocket, change: LoggedChange): void {
    let box = this.outboxes.get(socket.id);
    if (box === undefined) {
      box = { socket, owed: new Map(), since: 0, queued: false, retryAt: 0, closed: false };
      this.outboxes.set(socket.id, box);
    }
    const log = change.log;
    if (box.owed.has(log)) return;
    box.owed.set(log, change);
    this.logs.hold(log);
    if (!box.queued) {
      box.since = this.clock.now();
      this.enqueue(box);
    }
  }

  /**
   * Takes what `socketId` is owed for `key` on `topic` out of its outbox, for a socket that stops
   * watching that user now: the caller sends the leaves itself, of what the socket holds (the
   * tracker's metas, less `joined`, plus `left`).
   */
  withdraw(socketId: string, topic: string, key: string): OwedDifference | undefined {
    const box = this.outboxes.get(socketId);
    const log = this.logs.get(topic, key);
    if (box === undefined || log === undefined) return undefined;
    const start = box.owed.get(log);
    if (start === undefined) return undefined;
    box.owed.delete(log);
    const difference = owedDifference(owedKeyOf(start.owed()));
    this.logs.release(log);
    return difference;
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
    this.releaseAll(box);
    this.outboxes.delete(socketId);
  }

  stats(): DiffOutboxStats {
    return {
      messages: this.messages,
      metas: this.metas,
      windowMs: this.window.ms,
      pending: this.queue.length - this.head + (this.busy.length - this.busyHead),
    };
  }

  close(): void {
    this.clock.clearTimeout(this.looker);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.immediate = undefined;
    for (const box of this.outboxes.values()) box.closed = true;
    this.outboxes.clear();
    this.logs.clear();
    this.queue = [];
    this.head = 0;
    this.busy = [];
    this.busyHead = 0;
  }

  // ── flushing ───────────────────────────────────────────────────────────────────────────────

  private enqueue(box: Outbox): void {
    box.queued = true;
    this.queue.push(box);
    if (this.queue.length - this.head === 1) this.wake();
  }

  /** When the next outbox is due (its window's end, or a busy one's retry). */
  private nextDue(): number {
    const next = this.queue[this.head];
    const retry = this.busy[this.busyHead];
    return Math.min(
      next === undefined ? Number.POSITIVE_INFINITY : next.since + this.window.ms,
      retry === undefined ? Number.POSITIVE_INFINITY : retry.retryAt,
    );
  }

  /** The window changed: the timer is set again for the new due time. */
  private rewake(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.wake();
  }

  /** Runs the drain when the next outbox is due (at the end of this turn, or by timer). */
  private wake(): void {
    if (this.immediate !== undefined) return;
    const at = this.nextDue();
    if (at === Number.POSITIVE_INFINITY) return;
    const wait = at - this.clock.now();
    if (wait <= 0) {
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.immediate = setImmediate(this.drain);
      return;
    }
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.wake();
    }, wait);
  }

  private readonly drain = (): void => {
    this.immediate = undefined;
    const started = this.clock.now();
    let now = started;
    let flushed = 0;
    const windowMs = this.window.ms;
    for (;;) {
      const next = this.queue[this.head];
      const retry = this.busy[this.busyHead];
      const nextAt = next === undefined ? Number.POSITIVE_INFINITY : next.since + windowMs;
      const retryAt = retry === undefined ? Number.POSITIVE_INFINITY : retry.retryAt;
      let box: Outbox;
      let dueAt: number;
      if (nextAt <= retryAt) {
        if (nextAt > now) break;
        box = next!;
        dueAt = nextAt;
        this.head++;
        this.due++;
      } else {
        if (retryAt > now) break;
        box = retry!;
        dueAt = box.since + windowMs;
        this.busyHead++;
      }
      box.queued = false;
      if (box.closed || box.owed.size === 0) continue;
      if (!transportWritable(box.socket) && now - box.since < this.maxDelayMs) {
        if (box === next) this.busyDue++;
        box.retryAt = now + BUSY_RETRY_MS;
        box.queued = true;
        this.busy.push(box);
        continue;
      }
      this.lateMs = Math.max(this.lateMs, now - dueAt);
      this.flush(box);
      if (++flushed % 32 === 0) {
        now = this.clock.now();
        if (now - started >= SLICE_MS) {
          if (this.nextDue() <= now) this.carried++;
          break;
        }
      }
    }
    if (flushed > 0) this.writingMs += this.clock.now() - started;
    this.compact();
    this.wake();
  };

  private flush(box: Outbox): void {
    const owed = box.owed;
    let packet: DiffPacket | SharedPacket | undefined;
    if (owed.size === 1) {
      const start = owed.values().next().value as LoggedChange;
      packet = this.sharedPacket(start.owed());
    } else {
      packet = this.encoder.encode(entriesByKey(owed));
    }
    this.releaseAll(box);
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

  private releaseAll(box: Outbox): void {
    for (const log of box.owed.keys()) this.logs.release(log);
    box.owed.clear();
  }

  private sharedPacket(owed: KeyChange | SharedFold): SharedPacket | undefined {
    let shared = this.packets.get(owed);
    if (shared === undefined) {
      const packet = this.encoder.encode([owed]);
      shared = packet === undefined ? null : { ...packet, frame: preEncodedFrame(packet.packet) };
      this.packets.set(owed, shared);
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
    if (this.busyHead === this.busy.length) {
      this.busy = [];
      this.busyHead = 0;
    } else if (this.busyHead > 1024 && this.busyHead * 2 > this.busy.length) {
      this.busy = this.busy.slice(this.busyHead);
      this.busyHead = 0;
    }
  }
}

/**
 * A socket's owed entries, one per key: the runs of two topics of one key (a user's own sockets
 * watch `user:<id>` and `self:<id>`) folded together in the order they were made.
 */
function entriesByKey(owed: ReadonlyMap<TopicLog, LoggedChange>): OwedEntry[] {
  const entries: OwedEntry[] = [];
  let keys: Map<string, LoggedChange[]> | undefined;
  for (const start of owed.values()) {
    const key = start.log.key;
    keys ??= new Map();
    const same = keys.get(key);
    if (same === undefined) keys.set(key, [start]);
    else same.push(start);
  }
  if (keys === undefined) return entries;
  for (const starts of keys.values()) {
    entries.push(starts.length === 1 ? starts[0]!.owed() : foldRuns(starts));
  }
  return entries;
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
