/**
 * Expected vs received update receipts: every acked update of user U must reach every other
 * connection that sees U (U's own other devices and every friend's devices) and was connected
 * throughout. Missing receipts are lost deliveries.
 */
import type { WorkerFinal } from '../clients/protocol.js';
import { type Population, watchersOf } from '../social-graph/population.js';

export interface DeliveryAccount {
  readonly updatesAcked: number;
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  /** Receipts beyond the expected ones (duplicates, or receivers that came and went). */
  readonly extra: number;
  /** Updates with at least one receipt missing. */
  readonly updatesWithLosses: number;
}

export function accountDeliveries(population: Population, finals: WorkerFinal[]): DeliveryAccount {
  const steady = new Set<number>();
  for (const f of finals) for (const id of f.connectedIds) steady.add(id);
  for (const f of finals) for (const id of f.droppedIds) steady.delete(id);
  const receipts = new Map<string, number>();
  for (const f of finals) {
    for (const [key, n] of f.receipts) receipts.set(key, (receipts.get(key) ?? 0) + n);
  }
  const watchersByUser = new Map<string, number[]>();
  let updatesAcked = 0;
  let expected = 0;
  let received = 0;
  let lost = 0;
  let extra = 0;
  let updatesWithLosses = 0;
  for (const f of finals) {
    for (let k = 0; k < f.ackedUpdates.length; k += 2) {
      const id = f.ackedUpdates[k]!;
      const seq = f.ackedUpdates[k + 1]!;
      const user = population.connections[id]!.user;
      let watchers = watchersByUser.get(user);
      if (!watchers) {
        watchers = watchersOf(population, user);
        watchersByUser.set(user, watchers);
      }
      let want = 0;
      for (const w of watchers) if (w !== id && steady.has(w)) want += 1;
      const got = receipts.get(`${id}:${seq}`) ?? 0;
      updatesAcked += 1;
      expected += want;
      received += got;
      if (got < want) {
        lost += want - got;
        updatesWithLosses += 1;
      } else extra += got - want;
    }
  }
  return { updatesAcked, expected, received, lost, extra, updatesWithLosses };
}
