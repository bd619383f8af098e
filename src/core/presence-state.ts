/**
 * The replicated presence set of one replica (Phoenix `State`), pure: no I/O, no clock, no
 * randomness. Time, ids and messages come in as arguments; every operation returns the joins and
 * leaves it caused, so callers never diff.
 *
 * Semantics:
 * - Every entry has exactly one writer, the replica that owns its connection. Each operation of a
 *   replica consumes one counter; a delta is a window of counters with explicit removes, applied
 *   by lookup in the per-replica dot index. Nothing scans all rows.
 * - Visible = entries of replicas that are up, plus a down replica's entries with a lineage
 *   (`LINEAGE_FIELD`) until the runtime releases them at the end of its crash grace (they are
 *   "held"). Of the entries of one (topic, key, lineage) – one device, whichever replica holds
 *   it – at most one is visible: the eligible one that ranks first (an up replica's before a held
 *   one, then the latest `since`, then the replica key and counter: the same answer on every
 *   replica that holds the same entries and sees the same replicas up). So a device reconnecting
 *   on any replica takes its held or graced entry over: the change that adds the new entry has
 *   the old one in its leaves and the new one in its joins, one change, and nothing else happens.
 * - Joins and leaves report changes of the visible set exactly once: a down replica's entries
 *   without a lineage leave, held ones leave when released; all come back as joins when it is up.
 * - A delta that does not follow what we have is a gap: it is not applied, and the caller asks
 *   for a transfer (which brings a buffered delta or a chunked snapshot).
 * - A replica that was down before we heard of it reaches us through a transfer's held parts
 *   while its crash grace lasts elsewhere (`mergeHeld`): stored down, its entries held, so a device
 *   reconnecting here takes its entry over as anywhere else; the runtime releases them when the
 *   grace it was told is over.
 */
import type { Context } from './causal-context.js';
import { ConnectionIndex } from './connection-index.js';
import { DEFAULT_MAX_DELTA_SIZES } from './delta-generations.js';
import { type DeltaWindow, isEmptyWindow } from './delta-window.js';
import { Entry, type EntryData, type Meta, type Presence } from './entry.js';
import { LineageGroups } from './lineage-groups.js';
import { createPrefixTallies, type PrefixCounts } from './prefix-tally.js';
import { type ReplicaKey, type ReplicaRef, replicaKey } from './replica-ref.js';
import { ReplicaSlot } from './replica-slot.js';
import { TopicIndex } from './topic-index.js';
import {
  DEFAULT_SNAPSHOT_CHUNK_SIZE,
  extractFor,
  type HeldPart,
  heldPartsFor,
  type SnapshotPart,
  type TransferPart,
} from './transfer.js';

export interface PresenceChange {
  readonly joins: Presence[];
  readonly leaves: Presence[];
}

export type TrackResult =
  | { ok: true; presence: Presence; change: PresenceChange }
  | { ok: false; reason: 'already-tracked' };

export type UpdateResult =
  | { ok: true; presence: Presence; change: PresenceChange }
  | { ok: false; reason: 'no-presence' };

export type MoveResult =
  | { ok: true; presence: Presence; change: PresenceChange }
  | { ok: false; reason: 'no-presence' | 'already-tracked' };

/** How a remote delta or transfer part was taken. */
export type MergeStatus =
  | 'applied'
  /** It starts after what we have: we are behind and must ask for a transfer. */
  | 'gap'
  /** We already have all of it. */
  | 'stale'
  /** From a replica we do not know (never seen up, or permdowned): ignored. */
  | 'unknown-replica'
  /** Our own operations echoed back: ignored. */
  | 'own'
  /** A chunk of a snapshot that is not complete yet; its adds are applied. */
  | 'partial';

export interface MergeResult {
  readonly status: MergeStatus;
  readonly change: PresenceChange;
}

export interface PresenceStateOptions {
  /** Sizes of the buffered delta generations. @default [100, 1000, 10000] */
  readonly maxDeltaSizes?: readonly number[];
  /** Entries per snapshot chunk in transfers. @default 10000 */
  readonly snapshotChunkSize?: number;
  /**
   * Topic prefixes whose visible presences and non-empty topics are counted as they change
   * (read with `prefixCounts`); they must not overlap. @default none
   */
  readonly countedTopicPrefixes?: readonly string[];
}

const noChange = (): PresenceChange => ({ joins: [], leaves: [] });

/**
 * Drops what an operation both joined and left (a group's shown entry can pass through another
 * within one merge): a change reports the visible set before and after it, nothing in between.
 */
function net(change: PresenceChange): PresenceChange {
  if (change.joins.length === 0 || change.leaves.length === 0) return change;
  // An update, the common case: no set.
  if (change.joins.length === 1 && change.leaves.length === 1) {
    return change.joins[0] === change.leaves[0] ? noChange() : change;
  }
  const left = new Set(change.leaves);
  const both = new Set(change.joins.filter((entry) => left.has(entry)));
  if (both.size === 0) return change;
  return {
    joins: change.joins.filter((entry) => !both.has(entry)),
    leaves: change.leaves.filter((entry) => !both.has(entry)),
  };
}

/** Own operations since the last heartbeat: an append-only log, compacted when taken. */
interface PendingDelta {
  from: number;
  added: Entry[];
  removes: number[];
}

function pendingWindow(self: ReplicaSlot, pending: PendingDelta): DeltaWindow {
  const { from, added, removes } = pending;
  let adds: EntryData[] = added;
  if (removes.length > 0) {
    const removed = new Set(removes);
    adds = added.filter((entry) => !removed.has(entry.counter));
  }
  return { replica: self.ref, from, to: self.context, adds, removes };
}

export class PresenceState {
  readonly self: ReplicaSlot;
  private readonly slots = new Map<ReplicaKey, ReplicaSlot>();
  private readonly index: TopicIndex;
  private readonly own = new ConnectionIndex();
  /** Entries with a lineage; of the id's entries of one topic and key, at most one is visible. */
  private readonly groups = new LineageGroups();
  /** Replicas permdowned here: a held part must not bring one back (see mergeHeld). */
  private readonly forgotten = new Set<ReplicaKey>();
  /** Replicas stored from a held part and not heard from since: more held parts add to them. */
  private readonly learned = new Set<ReplicaKey>();
  private pending: PendingDelta;
  private readonly maxDeltaSizes: readonly number[];
  private readonly chunkSize: number;

  constructor(self: ReplicaRef, options: PresenceStateOptions = {}) {
    this.maxDeltaSizes = options.maxDeltaSizes ?? DEFAULT_MAX_DELTA_SIZES;
    this.chunkSize = options.snapshotChunkSize ?? DEFAULT_SNAPSHOT_CHUNK_SIZE;
    this.index = new TopicIndex(createPrefixTallies(options.countedTopicPrefixes ?? []));
    this.self = new ReplicaSlot(self, this.maxDeltaSizes);
    this.slots.set(this.self.key, this.self);
    this.pending = { from: 0, added: [], removes: [] };
  }

  // ── local operations (own entries) ─────────────────────────────────────────────────────────

  track(topic: string, key: string, conn: string, meta: Meta): TrackResult {
    if (this.own.find(topic, key, conn)) return { ok: false, reason: 'already-tracked' };
    const counter = ++this.self.context;
    const entry = new Entry(topic, key, meta, this.self, counter, 0, conn);
    const change = noChange();
    this.enter(entry, change);
    this.own.append(entry);
    this.pending.added.push(entry);
    return { ok: true, presence: entry, change };
  }

  /** Untracking what is not tracked is a no-op with no change. */
  untrack(topic: string, key: string, conn: string): PresenceChange {
    const entry = this.own.find(topic, key, conn);
    const change = noChange();
    if (entry) this.removeOwn(entry, change);
    return change;
  }

  /** Untracks every presence of a connection (it closed). */
  untrackConnection(conn: string): PresenceChange {
    const change = noChange();
    for (const entry of this.own.of(conn)) this.removeOwn(entry, change);
    return net(change);
  }

  /** Replaces a presence's meta: one change with the new presence joining and the old leaving. */
  update(topic: string, key: string, conn: string, meta: Meta): UpdateResult {
    const prev = this.own.find(topic, key, conn);
    if (!prev) return { ok: false, reason: 'no-presence' };
    const counter = ++this.self.context;
    const next = new Entry(topic, key, meta, this.self, counter, prev.counter, conn);
    const change = noChange();
    this.replaceEntry(prev, next, change);
    this.own.replace(prev, next);
    this.pending.removes.push(prev.counter);
    this.pending.added.push(next);
    return { ok: true, presence: next, change: net(change) };
  }

  /**
   * Moves a presence to `toTopic` (same key and connection) with a new meta, in one operation: one
   * change (the old presence leaves its topic, the new one joins the other) and one counter, so no
   * reader and no delta ever holds both or neither. The new presence is fresh on its topic (no
   * `prev`), as if tracked there; it keeps its place among the connection's presences. Moving to
   * the topic it is on is an update.
   */
  move(topic: string, key: string, conn: string, toTopic: string, meta: Meta): MoveResult {
    if (toTopic === topic) return this.update(topic, key, conn, meta);
    const prev = this.own.find(topic, key, conn);
    if (!prev) return { ok: false, reason: 'no-presence' };
    if (this.own.find(toTopic, key, conn)) return { ok: false, reason: 'already-tracked' };
    const counter = ++this.self.context;
    const next = new Entry(toTopic, key, meta, this.self, counter, 0, conn);
    const change = noChange();
    this.exit(prev, change);
    this.enter(next, change);
    this.own.replace(prev, next);
    this.pending.removes.push(prev.counter);
    this.pending.added.push(next);
    return { ok: true, presence: next, change: net(change) };
  }

  /** Own presences of a connection, in tracking order. */
  connectionPresences(conn: string): Presence[] {
    return this.own.of(conn);
  }

  // ── deltas ─────────────────────────────────────────────────────────────────────────────────

  /** True when operations wait to be broadcast. */
  hasDelta(): boolean {
    return this.self.context > this.pending.from;
  }

  /**
   * Takes the operations since the last call as one delta window (for the heartbeat), buffers it
   * in the delta generations and starts a new one. Undefined when nothing happened.
   */
  takeDelta(): DeltaWindow | undefined {
    if (!this.hasDelta()) return undefined;
    const window = pendingWindow(this.self, this.pending);
    this.self.generations.push(window);
    this.pending = { from: this.self.context, added: [], removes: [] };
    return window;
  }

  mergeDelta(window: DeltaWindow): MergeResult {
    const slot = this.slots.get(replicaKey(window.replica));
    if (!slot) return { status: 'unknown-replica', change: noChange() };
    if (slot === this.self) return { status: 'own', change: noChange() };
    if (window.from > slot.context) return { status: 'gap', change: noChange() };
    if (isEmptyWindow(window) || window.to <= slot.context) {
      return { status: 'stale', change: noChange() };
    }
    const change = noChange();
    for (const counter of window.removes) this.removeRemote(slot, counter, change);
    for (const data of window.adds) {
      if (data.counter > slot.context) this.addRemote(slot, data, change);
    }
    slot.context = window.to;
    slot.generations.push(window);
    return { status: 'applied', change: net(change) };
  }

  // ── transfers ──────────────────────────────────────────────────────────────────────────────

  /**
   * What `requester` lacks, given its context: per replica it knows, a buffered delta window or a
   * chunked snapshot. Never its own rows, never replicas it does not know. First, the held parts
   * of the down replicas in `graceLeftMs` (what is left of each one's crash grace, by key): it
   * knows none of them by its context (a down replica is in no clock), and ignores those it knows.
   */
  extract(
    requester: ReplicaRef,
    requesterContext: Context,
    transferId: string,
    graceLeftMs: ReadonlyMap<ReplicaKey, number> = new Map(),
  ): TransferPart[] {
    // Copied: the pending log keeps growing after the transfer is sent.
    const { from, added, removes } = this.pending;
    const unsent = pendingWindow(this.self, { from, added: [...added], removes: [...removes] });
    const own = { unsent, count: this.own.size, entries: () => this.own.all() };
    const key = replicaKey(requester);
    const held: TransferPart[] =
      graceLeftMs.size === 0
        ? []
        : heldPartsFor(this.slots.values(), key, graceLeftMs, transferId, this.chunkSize);
    const parts = extractFor(
      this.slots.values(),
      key,
      requesterContext,
      transferId,
      own,
      this.chunkSize,
    );
    return held.length === 0 ? parts : [...held, ...parts];
  }

  mergeTransfer(part: TransferPart): MergeResult {
    if (part.kind === 'window') return this.mergeDelta(part.window);
    return part.kind === 'held' ? this.mergeHeld(part) : this.mergeSnapshot(part);
  }

  /**
   * A held part: a replica we do not know, down elsewhere and in its crash grace there, is stored
   * down with the part's entries (held while it is not released here). The first part creates
   * it (`applied`; the caller starts its grace); further parts, of this transfer or of one asked
   * again or from another replica, add what it lacks (`partial`: a down replica writes nothing,
   * so its entries only ever need adding). Ignored (`stale`) for a replica we know otherwise (our
   * own view of it rules), one we permdowned (it must not come back through a third party), and
   * ourselves.
   */
  mergeHeld(part: HeldPart): MergeResult {
    const key = replicaKey(part.replica);
    const slot = this.slots.get(key);
    if (slot === this.self || key === this.self.key) return { status: 'own', change: noChange() };
    if (slot !== undefined) {
      if (!this.learned.has(key) || slot.up) return { status: 'stale', change: noChange() };
      const change = noChange();
      for (const data of part.entries) {
        if (data.counter <= part.upTo && !slot.dots.has(data.counter)) {
          this.addRemote(slot, data, change);
        }
      }
      if (part.upTo > slot.context) {
        slot.context = part.upTo;
        slot.generations.reset(slot.ref, slot.context);
      }
      return { status: 'partial', change: net(change) };
    }
    if (this.forgotten.has(key)) return { status: 'stale', change: noChange() };
    const learned = new ReplicaSlot(part.replica, this.maxDeltaSizes);
    learned.up = false;
    learned.context = part.upTo;
    learned.generations.reset(learned.ref, learned.context);
    this.slots.set(key, learned);
    this.learned.add(key);
    const change = noChange();
    for (const data of part.entries) {
      if (data.counter <= part.upTo) this.addRemote(learned, data, change);
    }
    return { status: 'applied', change: net(change) };
  }

  private mergeSnapshot(part: SnapshotPart): MergeResult {
    const slot = this.slots.get(replicaKey(part.replica));
    if (!slot) return { status: 'unknown-replica', change: noChange() };
    if (slot === this.self) return { status: 'own', change: noChange() };
    let pending = slot.pendingSnapshot;
    if (pending?.transferId !== part.transferId) {
      if (part.upTo <= slot.context) return { status: 'stale', change: noChange() };
      pending = {
        transferId: part.transferId,
        upTo: part.upTo,
        chunkCount: part.chunkCount,
        chunksSeen: new Set(),
        listed: new Set(),
      };
      slot.pendingSnapshot = pending;
    }
    const change = noChange();
    if (pending.chunksSeen.has(part.chunk)) return { status: 'partial', change: net(change) };
    pending.chunksSeen.add(part.chunk);
    // Entries at or below our context are ones we have, or removed after they were listed.
    for (const data of part.entries) {
      pending.listed.add(data.counter);
      if (data.counter > slot.context) {
        this.addRemote(slot, data, change);
        if (data.counter > slot.snapshotAddedUpTo) slot.snapshotAddedUpTo = data.counter;
      }
    }
    if (pending.chunksSeen.size < pending.chunkCount) {
      return { status: 'partial', change: net(change) };
    }
    // Complete: what the snapshot covers but does not list was removed by its owner.
    for (const [counter, entry] of slot.dots) {
      if (counter <= pending.upTo && !pending.listed.has(counter)) {
        this.removeRemote(slot, entry.counter, change);
      }
    }
    if (pending.upTo > slot.context) {
      slot.context = pending.upTo;
      slot.generations.reset(slot.ref, slot.context);
    }
    slot.pendingSnapshot = undefined;
    return { status: 'applied', change: net(change) };
  }

  // ── replica lifecycle ──────────────────────────────────────────────────────────────────────

  /** Marks a replica up (creating it, knowing nothing of it yet, if new): its entries join. */
  replicaUp(ref: ReplicaRef): PresenceChange {
    const key = replicaKey(ref);
    const slot = this.slots.get(key);
    if (!slot) {
      this.slots.set(key, new ReplicaSlot(ref, this.maxDeltaSizes));
      return noChange();
    }
    if (slot.up || slot === this.self) return noChange();
    slot.up = true;
    slot.releasing = false;
    this.learned.delete(key);
    const change = noChange();
    for (const entry of slot.dots.values()) {
      entry.released = false;
      this.reconsider(entry, change);
    }
    return net(change);
  }

  /**
   * Marks a replica down: its entries are kept; those without a lineage leave, those with one
   * are held (still visible) until `releaseHeld`, unless another entry of their device outranks
   * them now.
   */
  replicaDown(ref: ReplicaRef): PresenceChange {
    const slot = this.slots.get(replicaKey(ref));
    if (!slot?.up || slot === this.self) return noChange();
    slot.up = false;
    const change = noChange();
    for (const entry of slot.dots.values()) this.reconsider(entry, change);
    return net(change);
  }

  /**
   * Ends the crash grace of a down replica's held entries, at most `limit` of them per call (the
   * runtime calls again for the rest: a big replica's entries leave in slices, not one burst).
   * Entries it adds while down from now on are released as they come. `more` is true while held
   * entries remain.
   */
  releaseHeld(ref: ReplicaRef, limit: number): { change: PresenceChange; more: boolean } {
    const change = noChange();
    const slot = this.slots.get(replicaKey(ref));
    if (!slot || slot.up || slot === this.self) return { change, more: false };
    slot.releasing = true;
    let released = 0;
    for (const entry of slot.dots.values()) {
      if (entry.released || entry.group === undefined) continue;
      if (released >= limit) return { change: net(change), more: true };
      entry.released = true;
      released++;
      this.reconsider(entry, change);
    }
    return { change: net(change), more: false };
  }

  /** Entries of a down replica still held (visible or eligible) for its crash grace. */
  heldCount(ref: ReplicaRef): number {
    const slot = this.slots.get(replicaKey(ref));
    if (!slot || slot.up) return 0;
    let held = 0;
    for (const entry of slot.dots.values()) {
      if (entry.group !== undefined && !entry.released) held++;
    }
    return held;
  }

  /** Forgets a replica completely: its entries, its clock, its buffered deltas. */
  replicaPermdown(ref: ReplicaRef): PresenceChange {
    const slot = this.slots.get(replicaKey(ref));
    if (!slot || slot === this.self) return noChange();
    const change = noChange();
    slot.up = false;
    for (const entry of slot.dots.values()) this.exit(entry, change);
    this.slots.delete(slot.key);
    this.learned.delete(slot.key);
    this.forgotten.add(slot.key);
    slot.dots.clear();
    return net(change);
  }

  // ── clocks and replicas ────────────────────────────────────────────────────────────────────

  /** Our context as sent to others: ourselves and replicas that are up (down ones left out). */
  clock(): Map<ReplicaKey, number> {
    const out = new Map<ReplicaKey, number>();
    for (const slot of this.slots.values()) if (slot.up) out.set(slot.key, slot.context);
    return out;
  }

  knows(ref: ReplicaRef): boolean {
    return this.slots.has(replicaKey(ref));
  }

  isUp(ref: ReplicaRef): boolean {
    return this.slots.get(replicaKey(ref))?.up ?? false;
  }

  /** Every replica this state knows (itself included). */
  replicas(): ReplicaRef[] {
    return [...this.slots.values()].map((slot) => slot.ref);
  }

  contextOf(ref: ReplicaRef): number | undefined {
    return this.slots.get(replicaKey(ref))?.context;
  }

  // ── reads: from indexes, O(answer) ─────────────────────────────────────────────────────────

  list(topic: string): Presence[] {
    return this.index.list(topic);
  }

  /** The topic's visible presences grouped by key (the wire's `{key: {metas}}` shape). */
  listByKey(topic: string): Map<string, Presence[]> {
    return this.index.grouped(topic);
  }

  get(topic: string, key: string): Presence[] {
    return this.index.get(topic, key);
  }

  count(topic: string): number {
    return this.index.count(topic);
  }

  keyCount(topic: string): number {
    return this.index.keyCount(topic);
  }

  /**
   * Visible presences and non-empty topics under a prefix given in `countedTopicPrefixes`, in
   * O(1); undefined for a prefix not counted. The object is live: it always shows the counts now.
   */
  prefixCounts(prefix: string): PrefixCounts | undefined {
    return this.index.prefixCounts(prefix);
  }

  /** Visible presences in all topics. */
  get size(): number {
    return this.index.size;
  }

  get topicCount(): number {
    return this.index.topicCount;
  }

  /** Stored entries of one replica (visible or hidden). */
  entryCount(ref: ReplicaRef): number {
    const slot = this.slots.get(replicaKey(ref));
    if (slot === this.self) return this.own.size;
    return slot?.dots.size ?? 0;
  }

  /** Every stored entry of one replica, visible or not (for tests and diagnostics). */
  entriesOf(ref: ReplicaRef): Presence[] {
    const slot = this.slots.get(replicaKey(ref));
    if (slot === this.self) return [...this.own.all()];
    return [...(slot?.dots.values() ?? [])];
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private removeOwn(entry: Entry, change: PresenceChange): void {
    this.self.context++; // a remove consumes a counter too, so a missed one shows as a gap
    this.exit(entry, change);
    this.own.remove(entry);
    this.pending.removes.push(entry.counter);
  }

  // ── visibility: eligible entries, one per lineage group ─────────────────────────────────────

  private eligible(entry: Entry): boolean {
    return entry.replica.up || (entry.group !== undefined && !entry.released);
  }

  /** Whether `a` is shown rather than `b`, both eligible in one group: the same on every replica. */
  private outranks(a: Entry, b: Entry): boolean {
    if (a.replica.up !== b.replica.up) return a.replica.up;
    if (a.since !== b.since) return a.since > b.since;
    if (a.replica.key !== b.replica.key) return a.replica.key > b.replica.key;
    return a.counter > b.counter;
  }

  private show(entry: Entry, change: PresenceChange): void {
    if (entry.visible) return;
    this.index.link(entry);
    entry.visible = true;
    change.joins.push(entry);
  }

  private hide(entry: Entry, change: PresenceChange): void {
    if (!entry.visible) return;
    this.index.unlink(entry);
    entry.visible = false;
    change.leaves.push(entry);
  }

  /** A new entry: shown if eligible and first of its group (whose shown entry then leaves). */
  private enter(entry: Entry, change: PresenceChange): void {
    if (entry.group === undefined) {
      if (this.eligible(entry)) this.show(entry, change);
      return;
    }
    this.groups.add(entry.group, entry);
    this.settle(entry, change);
  }

  /** An entry removed: hidden, and the next of its group shown. */
  private exit(entry: Entry, change: PresenceChange): void {
    this.hide(entry, change);
    if (entry.group !== undefined && this.groups.remove(entry.group, entry)) {
      this.settle(entry, change);
    }
  }

  /** An own entry's update: in place when it was shown (it then outranks what its prev did). */
  private replaceEntry(prev: Entry, next: Entry, change: PresenceChange): void {
    if (!prev.visible || prev.group !== next.group || prev.topic !== next.topic) {
      this.exit(prev, change);
      this.enter(next, change);
      return;
    }
    if (prev.group !== undefined) this.groups.replace(prev.group, prev, next);
    this.index.replace(prev, next);
    prev.visible = false;
    next.visible = true;
    change.joins.push(next);
    change.leaves.push(prev);
  }

  /** Its replica's status or its release changed. */
  private reconsider(entry: Entry, change: PresenceChange): void {
    if (entry.group !== undefined) this.settle(entry, change);
    else if (this.eligible(entry)) this.show(entry, change);
    else this.hide(entry, change);
  }

  /** Shows the first eligible entry of `member`'s group (its topic, key and lineage), and only it. */
  private settle(member: Entry, change: PresenceChange): void {
    const held = this.groups.members(member.group!);
    if (held === undefined) return;
    if (!Array.isArray(held)) {
      if (this.eligible(held)) this.show(held, change);
      else this.hide(held, change);
      return;
    }
    const inGroup = (entry: Entry) => entry.topic === member.topic && entry.key === member.key;
    let first: Entry | undefined;
    for (const entry of held) {
      if (!inGroup(entry) || !this.eligible(entry)) continue;
      if (first === undefined || this.outranks(entry, first)) first = entry;
    }
    for (const entry of held) if (entry !== first && inGroup(entry)) this.hide(entry, change);
    if (first !== undefined) this.show(first, change);
  }

  private addRemote(slot: ReplicaSlot, data: EntryData, change: PresenceChange): void {
    // Above the context only a snapshot chunk can have added it already (see snapshotAddedUpTo).
    if (data.counter <= slot.snapshotAddedUpTo && slot.dots.has(data.counter)) return;
    const entry = new Entry(
      data.topic,
      data.key,
      data.meta,
      slot,
      data.counter,
      data.prev,
      undefined,
    );
    entry.released = !slot.up && slot.releasing;
    slot.dots.set(data.counter, entry);
    this.enter(entry, change);
  }

  private removeRemote(slot: ReplicaSlot, counter: number, change: PresenceChange): void {
    const entry = slot.dots.get(counter);
    if (!entry) return;
    slot.dots.delete(counter);
    this.exit(entry, change);
  }
}
