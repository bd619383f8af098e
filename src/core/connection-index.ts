/**
 * This replica's own entries, by the connection that tracked them: a list per connection, linked
 * through `Entry.nextOfConn` in tracking order. Own entries are found here (their owner names
 * them by topic, key and connection) and never by dot, so they skip the dot index: one hash-map
 * write less per local operation.
 */
import type { Entry } from './entry.js';

export class ConnectionIndex {
  private readonly heads = new Map<string, Entry>();
  private count = 0;

  /** Own entries held. */
  get size(): number {
    return this.count;
  }

  find(topic: string, key: string, conn: string): Entry | undefined {
    for (let e = this.heads.get(conn) ?? null; e !== null; e = e.nextOfConn) {
      if (e.topic === topic && e.key === key) return e;
    }
    return undefined;
  }

  /** A connection's entries, in tracking order. */
  of(conn: string): Entry[] {
    const out: Entry[] = [];
    for (let e = this.heads.get(conn) ?? null; e !== null; e = e.nextOfConn) out.push(e);
    return out;
  }

  *all(): Generator<Entry> {
    for (const head of this.heads.values()) {
      for (let e: Entry | null = head; e !== null; e = e.nextOfConn) yield e;
    }
  }

  append(entry: Entry): void {
    const conn = entry.conn!;
    entry.nextOfConn = null;
    this.count++;
    let tail = this.heads.get(conn);
    if (tail === undefined) {
      this.heads.set(conn, entry);
      return;
    }
    while (tail.nextOfConn !== null) tail = tail.nextOfConn;
    tail.nextOfConn = entry;
  }

  remove(entry: Entry): void {
    this.count--;
    this.repoint(entry, entry.nextOfConn);
    entry.nextOfConn = null;
  }

  /** Puts `next` where `prev` stands (an update keeps its place on its connection). */
  replace(prev: Entry, next: Entry): void {
    next.nextOfConn = prev.nextOfConn;
    this.repoint(prev, next);
    prev.nextOfConn = null;
  }

  /** Makes whatever pointed at `target` (the head or its predecessor) point at `replacement`. */
  private repoint(target: Entry, replacement: Entry | null): void {
    const conn = target.conn!;
    const head = this.heads.get(conn);
    if (head === target) {
      if (replacement) this.heads.set(conn, replacement);
      else this.heads.delete(conn);
      return;
    }
    for (let e = head ?? null; e !== null; e = e.nextOfConn) {
      if (e.nextOfConn === target) {
        e.nextOfConn = replacement;
        return;
      }
    }
  }
}
