/**
 * The read index: topic → key → the visible presences of that key, in tracking order.
 *
 * Only visible entries (of replicas that are up) are linked here, so reads never filter. The slot
 * of a topic grows with it: a topic with one presence (most `user:<id>` topics) stores the entry
 * itself; one key with several presences gets a `KeyPresences` list; several keys (a room) get a
 * `Map` by key. Counts are maintained on every link/unlink, never computed.
 */
import { Entry, type Presence } from './entry.js';
import { type PrefixCounts, type PrefixTally, tallyOf } from './prefix-tally.js';

class KeyPresences {
  head: Entry | null = null;
  tail: Entry | null = null;
  size = 0;
  constructor(readonly key: string) {}

  append(entry: Entry): void {
    entry.prevInKey = this.tail;
    entry.nextInKey = null;
    if (this.tail) this.tail.nextInKey = entry;
    else this.head = entry;
    this.tail = entry;
    this.size++;
  }

  toArray(): Presence[] {
    const out: Presence[] = [];
    for (let e = this.head; e !== null; e = e.nextInKey) out.push(e);
    return out;
  }
}

class RoomPresences {
  size = 0;
  readonly byKey = new Map<string, KeyPresences | Entry>();
}

/** A key's presences: one entry alone, or a list. */
type KeySlot = Entry | KeyPresences;
type TopicSlot = KeySlot | RoomPresences;

const NOT_LINKED = Symbol('not linked');

function keyOf(slot: KeySlot): string {
  return slot.key;
}

function sizeOf(slot: KeySlot): number {
  return slot instanceof Entry ? 1 : slot.size;
}

function toArray(slot: KeySlot): Presence[] {
  return slot instanceof Entry ? [slot] : slot.toArray();
}

export class TopicIndex {
  private readonly topics = new Map<string, TopicSlot>();
  private visible = 0;

  /** `tallies`: counts maintained per topic prefix (see prefix-tally.ts). */
  constructor(private readonly tallies: readonly PrefixTally[] = []) {}

  /** The maintained counts of a configured prefix; undefined for a prefix not configured. */
  prefixCounts(prefix: string): PrefixCounts | undefined {
    return this.tallies.find((tally) => tally.prefix === prefix);
  }

  /** Number of visible presences across all topics. */
  get size(): number {
    return this.visible;
  }

  get topicCount(): number {
    return this.topics.size;
  }

  link(entry: Entry): void {
    entry.prevInKey = null;
    entry.nextInKey = null;
    this.visible++;
    const slot = this.topics.get(entry.topic);
    const tally = this.tallies.length === 0 ? undefined : tallyOf(this.tallies, entry.topic);
    if (tally !== undefined) {
      tally.presences++;
      if (slot === undefined) tally.topics++;
    }
    if (slot === undefined) {
      this.topics.set(entry.topic, entry);
    } else if (slot instanceof RoomPresences) {
      slot.size++;
      slot.byKey.set(entry.key, this.grow(slot.byKey.get(entry.key), entry));
    } else if (keyOf(slot) === entry.key) {
      const grown = this.grow(slot, entry);
      if (grown !== slot) this.topics.set(entry.topic, grown);
    } else {
      // a second key on this topic: it becomes a room
      const room = new RoomPresences();
      room.size = sizeOf(slot) + 1;
      room.byKey.set(keyOf(slot), slot);
      room.byKey.set(entry.key, entry);
      this.topics.set(entry.topic, room);
    }
  }

  unlink(entry: Entry): void {
    const slot = this.topics.get(entry.topic);
    const keySlot = slot instanceof RoomPresences ? slot.byKey.get(entry.key) : slot;
    if (keySlot === undefined || keyOf(keySlot) !== entry.key) return;
    const remaining = this.shrink(keySlot, entry);
    if (remaining === NOT_LINKED) return;
    this.visible--;
    let emptied = false;
    if (slot instanceof RoomPresences) {
      slot.size--;
      if (remaining === undefined) slot.byKey.delete(entry.key);
      else if (remaining !== keySlot) slot.byKey.set(entry.key, remaining);
      if (slot.byKey.size === 1) {
        // back to one key: drop the Map so a quiet room costs what a user topic costs
        const [only] = slot.byKey.values();
        this.topics.set(entry.topic, only!);
      } else if (slot.byKey.size === 0) emptied = this.topics.delete(entry.topic);
    } else if (remaining === undefined) emptied = this.topics.delete(entry.topic);
    else if (remaining !== keySlot) this.topics.set(entry.topic, remaining);
    if (this.tallies.length === 0) return;
    const tally = tallyOf(this.tallies, entry.topic);
    if (tally !== undefined) {
      tally.presences--;
      if (emptied) tally.topics--;
    }
  }

  /** Puts `next` where `prev` stands (an update keeps its place among the key's presences). */
  replace(prev: Entry, next: Entry): void {
    next.prevInKey = prev.prevInKey;
    next.nextInKey = prev.nextInKey;
    prev.prevInKey = null;
    prev.nextInKey = null;
    const slot = this.topics.get(prev.topic);
    if (slot === prev) {
      this.topics.set(prev.topic, next);
      return;
    }
    if (slot instanceof RoomPresences) {
      const keySlot = slot.byKey.get(prev.key);
      if (keySlot === prev) {
        slot.byKey.set(prev.key, next);
        return;
      }
      if (keySlot instanceof KeyPresences) this.relink(keySlot, next);
    } else if (slot instanceof KeyPresences) this.relink(slot, next);
  }

  list(topic: string): Presence[] {
    const slot = this.topics.get(topic);
    if (slot === undefined) return [];
    if (!(slot instanceof RoomPresences)) return toArray(slot);
    const out: Presence[] = [];
    for (const keySlot of slot.byKey.values()) {
      if (keySlot instanceof Entry) out.push(keySlot);
      else for (let e = keySlot.head; e !== null; e = e.nextInKey) out.push(e);
    }
    return out;
  }

  /** The topic's presences grouped by key, in O(presences of the topic). */
  grouped(topic: string): Map<string, Presence[]> {
    const slot = this.topics.get(topic);
    const out = new Map<string, Presence[]>();
    if (slot === undefined) return out;
    if (!(slot instanceof RoomPresences)) out.set(keyOf(slot), toArray(slot));
    else for (const [key, keySlot] of slot.byKey) out.set(key, toArray(keySlot));
    return out;
  }

  get(topic: string, key: string): Presence[] {
    const keySlot = this.findKey(topic, key);
    return keySlot ? toArray(keySlot) : [];
  }

  /** Number of visible presences on the topic. */
  count(topic: string): number {
    const slot = this.topics.get(topic);
    if (slot === undefined) return 0;
    return slot instanceof RoomPresences ? slot.size : sizeOf(slot);
  }

  /** Number of distinct keys (users) visible on the topic. */
  keyCount(topic: string): number {
    const slot = this.topics.get(topic);
    if (slot === undefined) return 0;
    return slot instanceof RoomPresences ? slot.byKey.size : 1;
  }

  private findKey(topic: string, key: string): KeySlot | undefined {
    const slot = this.topics.get(topic);
    if (slot instanceof RoomPresences) return slot.byKey.get(key);
    return slot !== undefined && keyOf(slot) === key ? slot : undefined;
  }

  /** The key's slot with `entry` added (a lone entry becomes a list). */
  private grow(keySlot: KeySlot | undefined, entry: Entry): KeySlot {
    if (keySlot === undefined) return entry;
    if (keySlot instanceof KeyPresences) {
      keySlot.append(entry);
      return keySlot;
    }
    const list = new KeyPresences(entry.key);
    list.append(keySlot);
    list.append(entry);
    return list;
  }

  /**
   * The key's slot with `entry` removed: undefined when empty, the lone entry when one is left,
   * NOT_LINKED when the entry was not there.
   */
  private shrink(keySlot: KeySlot, entry: Entry): KeySlot | undefined | typeof NOT_LINKED {
    if (keySlot instanceof Entry) return keySlot === entry ? undefined : NOT_LINKED;
    if (entry.prevInKey) entry.prevInKey.nextInKey = entry.nextInKey;
    else if (keySlot.head === entry) keySlot.head = entry.nextInKey;
    else return NOT_LINKED;
    if (entry.nextInKey) entry.nextInKey.prevInKey = entry.prevInKey;
    else keySlot.tail = entry.prevInKey;
    entry.prevInKey = null;
    entry.nextInKey = null;
    keySlot.size--;
    if (keySlot.size === 1) {
      const only = keySlot.head!;
      only.prevInKey = null;
      only.nextInKey = null;
      return only;
    }
    return keySlot;
  }

  private relink(list: KeyPresences, next: Entry): void {
    if (next.prevInKey) next.prevInKey.nextInKey = next;
    else list.head = next;
    if (next.nextInKey) next.nextInKey.prevInKey = next;
    else list.tail = next;
  }
}
