/**
 * Replica identity.
 *
 * A replica is one tracker process (one node process here). Its ref is `{name, vsn}`: the name is
 * stable across restarts (the node name), the vsn is a new incarnation number each time the
 * process starts, so a restarted node is a *new* replica and its old entries can be retired.
 */

export interface ReplicaRef {
  readonly name: string;
  readonly vsn: number;
}

/** A string that identifies a ref exactly; used as a Map key. The vsn follows the last '#'. */
export type ReplicaKey = string;

export function replicaKey(ref: ReplicaRef): ReplicaKey {
  return `${ref.name}#${ref.vsn}`;
}

export function sameReplica(a: ReplicaRef, b: ReplicaRef): boolean {
  return a.name === b.name && a.vsn === b.vsn;
}

/**
 * A short, stable tag for a replica (FNV-1a over its key, base 36). `phx_ref`s are built from it
 * and a counter, so refs are unique across replicas without any randomness in the core.
 */
export function replicaTag(ref: ReplicaRef): string {
  const key = replicaKey(ref);
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, '0');
}
