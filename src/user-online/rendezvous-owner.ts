/**
 * Which node speaks for a user: rendezvous (highest random weight) hashing over the candidate
 * nodes. Every node that knows the same candidates picks the same owner without talking, and when
 * a node joins or leaves only the users it wins or held move (about 1/n of them).
 */
import { createHash } from 'node:crypto';
import type { UserId } from '../domain/user-id.js';

function weight(node: string, user: UserId): bigint {
  // Length-prefixed so ("ab", "c") and ("a", "bc") hash differently.
  const digest = createHash('sha256').update(`${node.length}:${node}\n${user}`).digest();
  return digest.readBigUInt64BE(0);
}

/** The owner of `user` among `nodes`; undefined when there is none. Ties go to the lesser name. */
export function rendezvousOwner(user: UserId, nodes: Iterable<string>): string | undefined {
  let owner: string | undefined;
  let best = -1n;
  for (const node of nodes) {
    const w = weight(node, user);
    if (w > best || (w === best && owner !== undefined && node < owner)) {
      owner = node;
      best = w;
    }
  }
  return owner;
}
