/**
 * User id ⇄ graphology node key. graphology keeps adjacency in plain objects, so an id that
 * names an Object.prototype member (`__proto__`, `constructor`, `toString`…) reads as an
 * existing neighbour and corrupts the graph. Such ids, and ids that already start with the
 * escape character (so the mapping stays reversible), get a NUL prefix. Every other id is its
 * own key, so graphs built by hand with ordinary ids work unchanged.
 */

const ESCAPE = '\u0000';
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

export function toNodeKey(userId: string): string {
  return PROTOTYPE_NAMES.has(userId) || userId.startsWith(ESCAPE) ? ESCAPE + userId : userId;
}

export function fromNodeKey(nodeKey: string): string {
  return nodeKey.startsWith(ESCAPE) ? nodeKey.slice(1) : nodeKey;
}
