/**
 * The MACs that put a shared last-seen store under the same trust as the node bus: with a cluster
 * secret, every `at` and `visibility` a node writes to Redis or PostgreSQL carries a MAC, and a
 * value whose MAC fails is refused on read (a last seen counts as not stored, a visibility as
 * `nobody`), so whoever can write to the store without the secret cannot invent a record, raise
 * a time or turn `nobody` into `friends`, nor move one user's record to another.
 *
 * The key is derived from the cluster secret with HKDF-SHA256 under a fixed label, so the bus's
 * frame key is never used raw for another purpose; the MAC is HMAC-SHA256 over the field name,
 * the user id and the value (JSON-encoded: no separator can be forged), as base64url.
 * What a MAC cannot stop (deleting a value, putting back an older one seen earlier for the same
 * user) is in docs/last-seen.md.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { UserId } from '../domain/user-id.js';
import { type ClusterSecretOptions, resolveClusterSecrets } from '../transports/cluster-secret.js';

/** The HKDF label: changing it (or the MAC's input) makes every stored MAC fail. */
const KEY_LABEL = 'graph-presence/last-seen-record-mac/v1';

export type SealedField = 'at' | 'visibility';

export class LastSeenSeal {
  readonly #signing: Buffer;
  readonly #accepted: readonly Buffer[];

  private constructor(signing: Uint8Array, accepted: readonly Uint8Array[]) {
    this.#signing = deriveKey(signing);
    this.#accepted = accepted.map(deriveKey);
  }

  /**
   * The seal for these secrets; undefined without a cluster secret (values are then stored and
   * read without MACs, as a single node or an unauthenticated bus trusts its store).
   * @throws InvalidOptionError for a secret shorter than 32 bytes, as the bus does.
   */
  static from(options: ClusterSecretOptions, where: string): LastSeenSeal | undefined {
    const secrets = resolveClusterSecrets(options, where);
    return secrets.signing === undefined
      ? undefined
      : new LastSeenSeal(secrets.signing, secrets.accepted);
  }

  /** The MAC to store next to `value`. */
  sign(user: UserId, field: SealedField, value: string): string {
    return mac(this.#signing, user, field, value).toString('base64url');
  }

  /** Whether `stored` is a MAC of `value` for this user and field, under any accepted secret. */
  verifies(user: UserId, field: SealedField, value: string, stored: unknown): boolean {
    if (typeof stored !== 'string' || stored.length !== 43) return false;
    const given = Buffer.from(stored, 'base64url');
    if (given.length !== 32) return false;
    return this.#accepted.some((key) => timingSafeEqual(mac(key, user, field, value), given));
  }
}

function deriveKey(secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), KEY_LABEL, 32));
}

function mac(key: Buffer, user: UserId, field: SealedField, value: string): Buffer {
  return createHmac('sha256', key)
    .update(JSON.stringify([field, user, value]))
    .digest();
}
