/**
 * The `phx_ref`s clients see. Inside the tracker a presence is named by its dot (owning replica,
 * counter), and the counter counts every operation of that replica: shown as is, two refs a
 * client sees would tell it how many tracks and updates (invisible users' included) happened on
 * that node in between. On the wire a ref is instead the dot encrypted under a key the clients do
 * not know: AES-128 of one 16-byte block (8 bytes of the replica key's SHA-256, the counter as 8
 * bytes), in base64url (22 characters). A block cipher is a permutation, so distinct dots give
 * distinct refs (unique, as Phoenix needs), and a ref says nothing about any other.
 *
 * Every node must use the same key for one presence to carry one ref cluster-wide (a client
 * moving to another node, the leave grace's takeover across nodes): it is derived from a secret
 * all nodes share (HKDF-SHA256). Refs are compared for equality only; nothing orders them.
 *
 * A presence with a lineage (`phx_lineage`: its device's id across reconnects, see
 * src/core/entry.ts) has a ref that does not depend on which replica holds it: HMAC-SHA256 under
 * the same key of its lineage id and its meta (without `phx_lineage`, keys sorted), 16 bytes in
 * base64url. Every node computes the same ref for the same device and meta, so a device that
 * reconnects on any node with the meta it had keeps its ref: the takeover's leave of the old entry
 * and join of the new one cancel out, and friends are sent nothing; a changed meta is one update.
 * Equal refs mean equal metas. The lineage id is itself an HMAC of (user, device, the client's
 * lineage), so no client can name another user's device, and `phx_lineage` never reaches a client.
 */

import type { Cipher } from 'node:crypto';
import { createCipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { LINEAGE_FIELD, lineageOf, type Meta, type Presence } from '../../core/index.js';
import type { ReplicaSlot } from '../../core/replica-slot.js';
import type { WireMeta } from '../../domain/client-protocol.js';

const KEY_INFO = 'graph-presence phx_ref v1';

/** A 16-byte ref key from a secret every node shares, or a random one for a single process. */
export function wireRefKey(secret: string | Uint8Array | undefined): Buffer {
  if (secret === undefined || secret.length === 0) return randomBytes(16);
  const raw = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  return Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), KEY_INFO, 16));
}

export class WireRefs {
  /** ECB over one block at a time: each update() is a pure function of its block. */
  private readonly cipher: Cipher;
  private readonly replicaIds = new WeakMap<ReplicaSlot, Buffer>();
  private readonly block = Buffer.alloc(16);
  /** Refs of presences with a lineage, computed once per entry. */
  private readonly lineageRefs = new WeakMap<Presence, string>();

  constructor(private readonly key: Uint8Array) {
    this.cipher = createCipheriv('aes-128-ecb', key, null);
    this.cipher.setAutoPadding(false);
  }

  /** The lineage id of a device: the same on every node sharing the key. */
  lineageId(userId: string, device: string | undefined, lineage: string): string {
    return createHmac('sha256', this.key)
      .update(JSON.stringify(['lineage', userId, device ?? null, lineage]))
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  /** The ref of the presence with `counter` of `replica`. */
  ref(replica: ReplicaSlot, counter: number): string {
    this.replicaId(replica).copy(this.block, 0);
    this.block.writeBigUInt64BE(BigInt(counter), 8);
    return this.cipher.update(this.block).toString('base64url');
  }

  /** The `phx_ref` of a presence. */
  of(presence: Presence): string {
    if (presence.meta[LINEAGE_FIELD] === undefined) {
      return this.ref(presence.replica, presence.counter);
    }
    let ref = this.lineageRefs.get(presence);
    if (ref === undefined) {
      ref = this.lineageRef(presence.meta);
      this.lineageRefs.set(presence, ref);
    }
    return ref;
  }

  /**
   * The meta as clients see it: the app's fields plus `phx_ref` (and `phx_ref_prev` on updates).
   * A presence with a lineage gets its `phx_ref_prev` from the change that replaced its
   * predecessor (changesByTopic: the leave of the same device), as its predecessor's meta is not
   * known here; `phx_lineage` is dropped.
   */
  meta(presence: Presence): WireMeta {
    const meta: Record<string, unknown> = { ...presence.meta, phx_ref: this.of(presence) };
    if (meta[LINEAGE_FIELD] !== undefined) delete meta[LINEAGE_FIELD];
    else if (presence.prev > 0) meta['phx_ref_prev'] = this.ref(presence.replica, presence.prev);
    return meta as unknown as WireMeta;
  }

  private lineageRef(meta: Meta): string {
    const lineage = lineageOf(meta);
    const { [LINEAGE_FIELD]: _lineage, ...fields } = meta;
    return createHmac('sha256', this.key)
      .update(JSON.stringify([lineage?.id ?? null, canonical(fields)]))
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  private replicaId(replica: ReplicaSlot): Buffer {
    let id = this.replicaIds.get(replica);
    if (id === undefined) {
      id = createHash('sha256').update(replica.key).digest().subarray(0, 8);
      this.replicaIds.set(replica, id);
    }
    return id;
  }
}

/** A JSON value with object keys sorted at every level: equal metas give equal text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = canonical((value as Record<string, unknown>)[key]);
  }
  return out;
}
