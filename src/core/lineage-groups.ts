/**
 * Entries with a lineage, by lineage id: one entry, or several (the id's entries on a user's two
 * topics, or a device being taken over). Keyed by the meta's own id string, so an entry costs no
 * new string and, alone, no array. Which member is shown is PresenceState's to decide.
 */
import type { Entry } from './entry.js';

export class LineageGroups {
  private readonly groups = new Map<string, Entry | Entry[]>();

  add(group: string, entry: Entry): void {
    const held = this.groups.get(group);
    if (held === undefined) this.groups.set(group, entry);
    else if (Array.isArray(held)) held.push(entry);
    else this.groups.set(group, [held, entry]);
  }

  /** Removes `entry`; true when other members remain (their visibility may change). */
  remove(group: string, entry: Entry): boolean {
    const held = this.groups.get(group);
    if (held === entry) {
      this.groups.delete(group);
      return false;
    }
    if (!Array.isArray(held)) return false;
    const index = held.indexOf(entry);
    if (index >= 0) held.splice(index, 1);
    if (held.length === 1) this.groups.set(group, held[0]!);
    return true;
  }

  /** `next` takes `prev`'s place (an own entry's update). */
  replace(group: string, prev: Entry, next: Entry): void {
    const held = this.groups.get(group);
    if (Array.isArray(held)) held[held.indexOf(prev)] = next;
    else this.groups.set(group, next);
  }

  /** The group's members: one entry, an array of several, or undefined. */
  members(group: string): Entry | Entry[] | undefined {
    return this.groups.get(group);
  }
}
