/**
 * A bounded cache of `visibleTo` answers: entries expire after a TTL, and past `maxEntries`
 * the least recently used one is evicted (a Map keeps insertion order; a hit re-inserts).
 */

export interface VisibleCacheOptions {
  /** How long an answer is reused, in milliseconds; 0 disables the cache. @default 30000 */
  ttlMs?: number;
  /** Most users cached at once. @default 10000 */
  maxEntries?: number;
}

interface Entry {
  readonly visible: readonly string[];
  readonly expiresAt: number;
}

export class VisibleCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: VisibleCacheOptions = {}, now: () => number = Date.now) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(userId: string): readonly string[] | undefined {
    const entry = this.#entries.get(userId);
    if (!entry) return undefined;
    this.#entries.delete(userId);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(userId, entry);
    return entry.visible;
  }

  set(userId: string, visible: readonly string[]): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return;
    this.#entries.delete(userId);
    this.#entries.set(userId, { visible, expiresAt: this.#now() + this.#ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(userId: string): void {
    this.#entries.delete(userId);
  }

  clear(): void {
    this.#entries.clear();
  }
}
