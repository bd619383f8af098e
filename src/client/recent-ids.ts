/** The last `capacity` ids seen, in insertion order: bounded memory for de-duplication. */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`the message memory must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers `id`, forgetting the oldest one beyond the capacity. */
  add(id: string): void {
    if (this.#ids.has(id)) return;
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) {
      // A Set iterates in insertion order: the first is the oldest.
      const oldest = this.#ids.values().next().value as string;
      this.#ids.delete(oldest);
    }
  }
}
