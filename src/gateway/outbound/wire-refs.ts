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
 */

import type { Cipher } from 'node:crypto';
import { createCipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Presence } from '../../core/index.js';
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

  constructor(key: Uint8Array) {
    this.cipher = createCipheriv('aes-128-ecb', key, null);
    this.cipher.setAutoPadding(false);
  }

  /** The ref of the presence with `counter` of `replica`. */
  ref(replica: ReplicaSlot, counter: number): string {
    this.replicaId(replica).copy(this.block, 0);
    this.block.writeBigUInt64BE(BigInt(counter), 8);
    return this.cipher.update(this.block).toString('base64url');
  }

  /** The `phx_ref` of a presence. */
  of(presence: Presence): string {
    return this.ref(presence.replica, presence.counter);
  }

  /** The meta as clients see it: the app's fields plus `phx_ref` (and `phx_ref_prev` on updates). */
  meta(presence: Presence): WireMeta {
    const meta: Record<string, unknown> = { ...presence.meta, phx_ref: this.of(presence) };
    if (presence.prev > 0) meta['phx_ref_prev'] = this.ref(presence.replica, presence.prev);
    return meta as unknown as WireMeta;
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
