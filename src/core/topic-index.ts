/**
 * The read index: topic → key → the visible presences of that key, in tracking order.
 *
 * Only visible entries (of replicas that are up) are linked here, so reads never filter. A topic
 * with one key (every `user:<id>` topic) costs a single `KeyPresences` object; a topic with more
 * keys (a room) gets a `Map` by key. Counts are maintained on every link/unlink, never computed.
 */
import type { Entry, Presence } from './entry.js';

class KeyPresences {
  head: Entry | null = null;
  tail: Entry | null = null;
  size = 0;
  constructor(readonly key: string) {}

  toArray(): Presence[] {
    const out: Presence[] = [];
    for (let e = this.head; e !== null; e = e.nextInKey) out.push(e);
    return out;
  }
}

class RoomPresences {
  size = 0;
  readonly byKey = new Map<string, KeyPresences>();
}

type TopicSlot = KeyPresences | RoomPresences;

export class TopicIndex {
  private readonly topics = new Map<string, TopicSlot>();
  private visible = 0;

  /** Number of visible presences across all topics. */
  get size(): number {
    return this.visible;
  }

  get topicCount(): number {
    return this.topics.size;
  }

  link(entry: Entry): void {
    const keyList = this.keyListFor(entry.topic, entry.key);
    entry.prevInKey = keyList.tail;
    entry.nextInKey = null;
    if (keyList.tail) keyList.tail.nextInKey = entry;
    else keyList.head = entry;
    keyList.tail = entry;
    keyList.size++;
    const slot = this.topics.get(entry.topic);
    if (slot instanceof RoomPresences) slot.size++;
    this.visible++;
  }

  unlink(entry: Entry): void {
    const slot = this.topics.get(entry.topic);
    const keyList = slot instanceof RoomPresences ? slot.byKey.get(entry.key) : slot;
    if (!slot || !keyList || keyList.key !== entry.key) return;
    if (entry.prevInKey) entry.prevInKey.nextInKey = entry.nextInKey;
    else keyList.head = entry.nextInKey;
    if (entry.nextInKey) entry.nextInKey.prevInKey = entry.prevInKey;
    else keyList.tail = entry.prevInKey;
    entry.prevInKey = null;
    entry.nextInKey = null;
    keyList.size--;
    this.visible--;
    if (slot instanceof RoomPresences) {
      slot.size--;
      if (keyList.size === 0) slot.byKey.delete(entry.key);
      if (slot.byKey.size === 1) {
        // back to one key: drop the Map so a quiet room costs what a user topic costs
        const [only] = slot.byKey.values();
        this.topics.set(entry.topic, only!);
      } else if (slot.byKey.size === 0) this.topics.delete(entry.topic);
    } else if (keyList.size === 0) this.topics.delete(entry.topic);
  }

  /** Puts `next` where `prev` stands (an update keeps its place among the key's presences). */
  replace(prev: Entry, next: Entry): void {
    next.prevInKey = prev.prevInKey;
    next.nextInKey = prev.nextInKey;
    const slot = this.topics.get(prev.topic);
    const keyList = slot instanceof RoomPresences ? slot.byKey.get(prev.key) : slot;
    if (!keyList) return;
    if (prev.prevInKey) prev.prevInKey.nextInKey = next;
    else keyList.head = next;
    if (prev.nextInKey) prev.nextInKey.prevInKey = next;
    else keyList.tail = next;
    prev.prevInKey = null;
    prev.nextInKey = null;
  }

  list(topic: string): Presence[] {
    const slot = this.topics.get(topic);
    if (!slot) return [];
    if (slot instanceof KeyPresences) return slot.toArray();
    const out: Presence[] = [];
    for (const keyList of slot.byKey.values()) {
      for (let e = keyList.head; e !== null; e = e.nextInKey) out.push(e);
    }
    return out;
  }

  /** The topic's presences grouped by key, in O(presences of the topic). */
  grouped(topic: string): Map<string, Presence[]> {
    const slot = this.topics.get(topic);
    const out = new Map<string, Presence[]>();
    if (!slot) return out;
    if (slot instanceof KeyPresences) out.set(slot.key, slot.toArray());
    else for (const [key, keyList] of slot.byKey) out.set(key, keyList.toArray());
    return out;
  }

  get(topic: string, key: string): Presence[] {
    const keyList = this.findKey(topic, key);
    return keyList ? keyList.toArray() : [];
  }

  /** Number of visible presences on the topic. */
  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /** Number of distinct keys (users) visible on the topic. */
  keyCount(topic: string): number {
    const slot = this.topics.get(topic);
    if (!slot) return 0;
    return slot instanceof KeyPresences ? 1 : slot.byKey.size;
  }

  /** Number of visible presences of one key on the topic. */
  keySize(topic: string, key: string): number {
    return this.findKey(topic, key)?.size ?? 0;
  }

  private findKey(topic: string, key: string): KeyPresences | undefined {
    const slot = this.topics.get(topic);
    if (slot instanceof RoomPresences) return slot.byKey.get(key);
    return slot?.key === key ? slot : undefined;
  }

  private keyListFor(topic: string, key: string): KeyPresences {
    const slot = this.topics.get(topic);
    if (!slot) {
      const fresh = new KeyPresences(key);
      this.topics.set(topic, fresh);
      return fresh;
    }
    if (slot instanceof KeyPresences) {
      if (slot.key === key) return slot;
      // a second key on this topic: it becomes a room
      const room = new RoomPresences();
      room.size = slot.size;
      room.byKey.set(slot.key, slot);
      const fresh = new KeyPresences(key);
      room.byKey.set(key, fresh);
      this.topics.set(topic, room);
      return fresh;
    }
    let keyList = slot.byKey.get(key);
    if (!keyList) {
      keyList = new KeyPresences(key);
      slot.byKey.set(key, keyList);
    }
    return keyList;
  }
}
