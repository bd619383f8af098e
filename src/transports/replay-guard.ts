/**
 * Drops replayed frames: per sender, the last incarnation and sequence number accepted. A frame
 * passes when its incarnation is newer than the last one seen (a restarted bus), or the same with a
 * higher sequence number. One publisher connection keeps a sender's order, so an honest frame is
 * never below the last one accepted.
 */

/** Senders remembered at most; past it the longest unheard one is forgotten. */
const MAX_SENDERS = 4096;

interface LastSeen {
  incarnation: bigint;
  seq: bigint;
}

export class ReplayGuard {
  private readonly senders = new Map<string, LastSeen>();

  /** Whether the frame is new; remembers it when it is. */
  accept(sender: string, incarnation: bigint, seq: bigint): boolean {
    const last = this.senders.get(sender);
    if (last !== undefined) {
      if (incarnation < last.incarnation) return false;
      if (incarnation === last.incarnation && seq <= last.seq) return false;
      // Re-inserted so the map's order is from longest unheard to latest.
      this.senders.delete(sender);
    } else if (this.senders.size >= MAX_SENDERS) {
      const oldest = this.senders.keys().next().value;
      if (oldest !== undefined) this.senders.delete(oldest);
    }
    this.senders.set(sender, { incarnation, seq });
    return true;
  }
}
