/** Bounds on what clients may put into their presence meta (PROTOCOL.md, `presence:update`). */

/** Keys in one `presence:update` patch. */
export const MAX_PATCH_KEYS = 16;
/** Bytes of one patch, JSON-encoded (UTF-8). */
export const MAX_PATCH_BYTES = 1024;
/** Characters of `status` and `device`, in the handshake or a patch. */
export const MAX_STATUS_LENGTH = 64;
/** Keys of a connection's whole meta after patches accumulate (reserved fields included). */
export const MAX_META_KEYS = 24;
/** Bytes of a connection's whole meta, JSON-encoded. */
export const MAX_META_BYTES = 2048;

/** Fields the server owns: a patch may not set them. */
export const FORBIDDEN_PATCH_KEYS: ReadonlySet<string> = new Set([
  'phx_ref',
  'phx_ref_prev',
  'online_at',
  'phx_lineage',
  '__proto__',
]);

/**
 * Why a meta is over `maxKeys` keys or `maxBytes` bytes of JSON (UTF-8), or undefined: the one
 * measure of a meta's size. The gateway bounds a connection's meta with it (MAX_META_KEYS,
 * MAX_META_BYTES: its `meta_too_large` refusal) and the replication wire every meta it carries
 * (src/protocol/meta-limits.ts: the same bounds plus room for the server's `invisible` field).
 * Keys are counted first, so a meta with too many is refused before it is serialized.
 */
export function metaSizeProblem(
  meta: object,
  maxKeys: number,
  maxBytes: number,
): string | undefined {
  const keys = Object.keys(meta).length;
  if (keys > maxKeys) return `meta: ${keys} keys, more than ${maxKeys}`;
  const bytes = utf8Length(JSON.stringify(meta));
  if (bytes > maxBytes) return `meta: ${bytes} bytes of JSON, more than ${maxBytes}`;
  return undefined;
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
