/**
 * A per-address rate limit of handshakes, checked before authentication (a JWT check, an app's
 * authenticate, a graph lookup) and before admission, so one address cannot make the node verify
 * tokens as fast as it can send them. One token bucket per remote address, refilled at
 * `perSecond` up to `burst`; at most `maxAddresses` buckets are kept, the least recently used
 * forgotten first (a forgotten address starts again with a full bucket), so memory stays
 * bounded whatever the number of addresses.
 *
 * The address is the TCP peer's. Behind a reverse proxy every client has the proxy's address:
 * with `trustForwardedFor` the first address of `X-Forwarded-For` is used instead. Only set it
 * when a proxy you run overwrites that header, or anyone can pick their own address.
 */
import { isIPv6 } from 'node:net';
import { positiveOption } from '../../domain/positive-option.js';
import { InvalidOptionError } from '../../errors.js';
import { TokenBucket } from './token-bucket.js';

export interface HandshakeRateLimitOptions {
  /** Handshakes per second one address may make, sustained; 0 turns the limit off. @default 20 */
  readonly perSecond?: number;
  /** Handshakes one address may make in a burst. @default 100 */
  readonly burst?: number;
  /** Addresses remembered at most. @default 100000 */
  readonly maxAddresses?: number;
  /** Key on the first `X-Forwarded-For` address (behind a proxy you run). @default false */
  readonly trustForwardedFor?: boolean;
}

export const DEFAULT_HANDSHAKE_RATE_LIMIT = Object.freeze({
  perSecond: 20,
  burst: 100,
  maxAddresses: 100_000,
  trustForwardedFor: false,
});

export function resolveHandshakeRateLimit(
  options: HandshakeRateLimitOptions | undefined,
): Required<HandshakeRateLimitOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidOptionError(
      'handshakeRateLimit must be an object { perSecond, burst, maxAddresses, trustForwardedFor }',
    );
  }
  const perSecond = options?.perSecond ?? DEFAULT_HANDSHAKE_RATE_LIMIT.perSecond;
  if (typeof perSecond !== 'number' || !(perSecond >= 0) || !Number.isFinite(perSecond)) {
    throw new InvalidOptionError(
      `handshakeRateLimit.perSecond must be a number ≥ 0 (0: no limit), got ${String(perSecond)}`,
    );
  }
  const trust = options?.trustForwardedFor ?? DEFAULT_HANDSHAKE_RATE_LIMIT.trustForwardedFor;
  if (typeof trust !== 'boolean') {
    throw new InvalidOptionError('handshakeRateLimit.trustForwardedFor must be a boolean');
  }
  return {
    perSecond,
    burst: positiveOption(
      'handshakeRateLimit.burst',
      options?.burst ?? DEFAULT_HANDSHAKE_RATE_LIMIT.burst,
    ),
    maxAddresses: positiveOption(
      'handshakeRateLimit.maxAddresses',
      options?.maxAddresses ?? DEFAULT_HANDSHAKE_RATE_LIMIT.maxAddresses,
    ),
    trustForwardedFor: trust,
  };
}

/** What the limit reads of a socket.io handshake. */
export interface HandshakeOrigin {
  readonly address: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The key an address is limited by. IPv6 addresses are keyed by their /64: one host usually
 * holds a whole /64, and would otherwise get a fresh bucket per address.
 */
export function addressKey(origin: HandshakeOrigin, trustForwardedFor: boolean): string {
  let address = origin.address;
  if (trustForwardedFor) {
    const header = origin.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first) address = first;
  }
  return isIPv6(address) ? ipv6Prefix64(address) : address;
}

function ipv6Prefix64(address: string): string {
  if (address.toLowerCase().startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class HandshakeRateLimit {
  /** Least recently used first: a bucket is re-inserted on each use. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: Required<HandshakeRateLimitOptions>) {}

  /** Addresses remembered now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one handshake of `key` at `now` (ms): false when that address is over its limit. */
  take(key: string, now: number): boolean {
    const { perSecond, burst, maxAddresses } = this.options;
    if (perSecond === 0) return true;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(perSecond, burst, now);
      if (this.buckets.size >= maxAddresses) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    return bucket.take(now);
  }
}
