/**
 * Vector-clock math over causal contexts (Phoenix `Clock`). Named for what it holds, not after
 * Phoenix: wall time is the other clock, `src/ports/clock.ts`.
 *
 * A context maps a replica key to the highest counter of that replica whose operations have all
 * been applied (contiguously). A replica missing from a context counts as 0.
 */
import type { ReplicaKey } from './replica-ref.js';

export type Context = ReadonlyMap<ReplicaKey, number>;

/** c1 has seen at least everything c2 has, on c2's replicas, and knows every replica c2 knows. */
export function dominates(c1: Context, c2: Context): boolean {
  if (c1.size < c2.size) return false;
  for (const [replica, counter] of c2) {
    const mine = c1.get(replica);
    if (mine === undefined || mine < counter) return false;
  }
  return true;
}

/** Pointwise maximum over the union of replicas. */
export function upperbound(c1: Context, c2: Context): Map<ReplicaKey, number> {
  const out = new Map(c1);
  for (const [replica, counter] of c2) {
    const mine = out.get(replica);
    if (mine === undefined || mine < counter) out.set(replica, counter);
  }
  return out;
}

/** A clock as heard from a replica: who sent it and its context. */
export interface NamedClock {
  readonly replica: ReplicaKey;
  readonly context: Context;
}

/**
 * Adds a heard clock to a set of "newest clocks seen" (Phoenix `append_clock`): the set becomes
 * just the clock if it dominates the set's combined clock; unchanged if the clock is empty or the
 * combined clock dominates it; otherwise members it dominates
 * are dropped and it is added. The replicas left in the set are the ones worth asking for a
 * transfer.
 */
export function appendClock(set: readonly NamedClock[], clock: NamedClock): NamedClock[] {
  if (clock.context.size === 0) return [...set];
  if (set.length === 0) return [clock];
  const combined = set.reduce<Map<ReplicaKey, number>>(
    (acc, member) => upperbound(acc, member.context),
    new Map(),
  );
  // Phoenix's order matters when clocks are equal: a clock that covers the whole set replaces it,
  // so a replica whose clock equals everyone's asks nobody for a transfer.
  if (dominates(clock.context, combined)) return [clock];
  if (dominates(combined, clock.context)) return [...set];
  const kept = set.filter((member) => !dominates(clock.context, member.context));
  return [...kept, clock];
}
