/**
 * Cluster secrets: the keys of the node bus's frame MACs. At least 32 bytes (HMAC-SHA256's
 * output size: a shorter key lowers the bar for guessing it).
 *
 * A rotation runs in three phases, each a rolling restart (docs/usage.md, "Rotating the cluster
 * secret"): sign with the old key and also accept the next one; sign with the new key and also
 * accept the previous one; the new key alone. Nodes one phase apart accept each other's frames.
 */
import { InvalidOptionError } from '../errors.js';

export const MIN_CLUSTER_SECRET_BYTES = 32;

export interface ClusterSecretOptions {
  /** Signs every frame this node sends and checks every frame it receives. */
  readonly clusterSecret?: string | Uint8Array;
  /** Also accepted on received frames during a rotation's second phase (never used to sign). */
  readonly previousClusterSecret?: string | Uint8Array;
  /** Also accepted on received frames during a rotation's first phase (never used to sign). */
  readonly nextClusterSecret?: string | Uint8Array;
}

export interface ResolvedSecrets {
  /** The signing key; undefined: frames are neither signed nor checked. */
  readonly signing: Uint8Array | undefined;
  /** Keys a received MAC may match: the signing one first, then the previous and the next one. */
  readonly accepted: readonly Uint8Array[];
}

/**
 * @throws InvalidOptionError when a secret is shorter than 32 bytes, or a previous or next one is
 * given without the signing one.
 */
export function resolveClusterSecrets(
  options: ClusterSecretOptions,
  where: string,
): ResolvedSecrets {
  const signing = toKey(options.clusterSecret, `${where}: clusterSecret`);
  const previous = toKey(options.previousClusterSecret, `${where}: previousClusterSecret`);
  const next = toKey(options.nextClusterSecret, `${where}: nextClusterSecret`);
  if (previous && !signing) {
    throw new InvalidOptionError(
      `${where}: previousClusterSecret needs clusterSecret (the new secret frames are signed with)`,
    );
  }
  if (next && !signing) {
    throw new InvalidOptionError(
      `${where}: nextClusterSecret needs clusterSecret (the current secret frames are signed with)`,
    );
  }
  return { signing, accepted: [signing, previous, next].filter((key) => key !== undefined) };
}

function toKey(value: string | Uint8Array | undefined, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const key = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (!(key instanceof Uint8Array) || key.byteLength < MIN_CLUSTER_SECRET_BYTES) {
    throw new InvalidOptionError(
      `${name} must be at least ${MIN_CLUSTER_SECRET_BYTES} bytes; generate one with \`openssl rand -base64 48\``,
    );
  }
  return key;
}
