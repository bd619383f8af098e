/**
 * Options of the gateway, their defaults and their validation. Errors name the option and the fix.
 */

import type { ChangeRoutes } from '../change-router/change-routes.js';
import type { CountRoomOptions } from '../counts/room-options.js';
import { positiveNumberOption, positiveOption } from '../domain/positive-option.js';
import { InvalidOptionError } from '../errors.js';
import { integerOption, type LibraryOptions, PRESENCE_OPTIONS } from '../options/index.js';
import {
  type Clock,
  type ServerClock,
  systemServerClock,
  type Timers,
  wallClockOf,
} from '../ports/clock.js';
import type { FriendsGraph } from '../ports/friends-graph.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { type AdmissionOptions, resolveAdmissionOptions } from './edge/admission.js';
import { type Authenticate, jwtAuthenticate } from './edge/authentication.js';
import {
  type HandshakeRateLimitOptions,
  resolveHandshakeRateLimit,
} from './edge/handshake-rate-limit.js';
import { type InboundBudgetOptions, resolveInboundBudget } from './edge/inbound-budget.js';
import type { JwtPolicy } from './edge/jwt-policy.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './edge/token-bucket.js';
import { PresenceStateFragments } from './outbound/presence-state-message.js';
import { WireRefs, wireRefKey } from './outbound/wire-refs.js';
import { DEFAULT_GRAPH_RETRY, type GraphRetryOptions } from './session/retry-backoff.js';
import {
  type ResolvedSubscriptionRecheckOptions,
  resolveSubscriptionRecheck,
  type SubscriptionRecheckOptions,
} from './session/subscription-recheck.js';

/**
 * The gateway's options. The numeric ones (leaveGraceMs, maxBatchDelayMs, minBatchDelayMs,
 * fanOutSliceMs, graphTimeoutMs, maxConnectionsPerUser) are declared with their defaults, bounds
 * and docs in src/options/presence-options.ts.
 */
export interface PresenceGatewayOptions extends LibraryOptions<typeof PRESENCE_OPTIONS.options> {
  /** The tracker connections are tracked on (started and stopped by its owner). */
  readonly replica: PresenceTracker;
  /** The server's change router, where the gateway's consumers of tracker changes attach. */
  readonly changes: ChangeRoutes;
  /** Whose presence each user may see, and the feed of changes to that. */
  readonly graph: FriendsGraph;
  /** HS256 secret of client tokens (`sub` = user id), at least 32 bytes. Give this or `authenticate`. */
  readonly jwtSecret?: string | Uint8Array;
  /** What tokens verified with `jwtSecret` must carry (exp, lifetime, aud, iss). See jwt-policy.ts. */
  readonly jwtPolicy?: JwtPolicy;
  /** The app's own authentication. Give this or `jwtSecret`. */
  readonly authenticate?: Authenticate;
  /** Rate limit of `presence:update` per connection. @default 10/s, burst 20 */
  readonly rateLimit?: RateLimitOptions;
  /** Retries of a connection whose graph lookup failed. */
  readonly graphRetry?: GraphRetryOptions;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * The clock and timers of everything the gateway times: fan-out slices, outboxes, token expiry,
   * graph retries, leave grace, re-checks, and (its `wallNow`) `online_at` and rate limits.
   * @default the system's
   */
  readonly clock?: ServerClock;
  /** @deprecated give `clock` (its `wallNow`). Wall clock in ms since the epoch. */
  readonly now?: () => number;
  /** Count-only rooms: cap per connection and the app's authorizeRoom hook. */
  readonly rooms?: CountRoomOptions;
  /**
   * Admission control of new connections: how many are admitted at once, how many handshakes
   * may wait, and the retry hint of those refused with `overloaded`.
   * @default { concurrency: 64, queue: 1024, retryAfterMs: 1000 }
   */
  readonly admission?: AdmissionOptions;
  /** @deprecated give `clock`. The leave grace's clock and timers alone. @default `clock` */
  readonly leaveGraceClock?: Clock & Timers;
  /**
   * A secret every node of the cluster shares, from which the key of the opaque `phx_ref`s is
   * derived (wire-refs.ts), so one presence has one ref on every node. @default `jwtSecret`;
   * with `authenticate` and no `refSecret`, a random key per process (refs then differ per node)
   */
  readonly refSecret?: string | Uint8Array;
  /**
   * Packets per connection, any event (inbound-budget.ts): over it the connection gets
   * `presence_error` `too_many_packets` and is closed. @default { perSecond: 50, burst: 200 }
   */
  readonly inboundBudget?: InboundBudgetOptions;
  /**
   * Handshakes per remote address, before authentication (handshake-rate-limit.ts): over it,
   * `connect_error` `too_many_handshakes`. @default { perSecond: 20, burst: 100 }
   */
  readonly handshakeRateLimit?: HandshakeRateLimitOptions;
  /**
   * Periodic re-check of each connection's friends against the graph, so that a graph change
   * that never arrived cannot leave a removed friend subscribed (subscription-recheck.ts).
   * @default { intervalMs: 600000 (0: off), maxLookupsPerSecond: 50 }
   */
  readonly subscriptionRecheck?: SubscriptionRecheckOptions;
  /**
   * Users' last seen: sent to friends (`presence_last_seen`) and answered by the query; set by
   * clients (`presence:last_seen_visibility`). @default none: last seen is unknown (null)
   */
  readonly lastSeen?: LastSeenStore;
}

export interface ResolvedGatewayOptions {
  readonly replica: PresenceTracker;
  readonly changes: ChangeRoutes;
  readonly graph: FriendsGraph;
  readonly authenticate: Authenticate;
  readonly rateLimit: Required<RateLimitOptions>;
  readonly graphTimeoutMs: number;
  readonly maxConnectionsPerUser: number;
  readonly graphRetry: Required<GraphRetryOptions>;
  readonly logger: Logger;
  /** The gateway's one clock: every timer and monotonic reading. */
  readonly clock: ServerClock;
  /** Wall clock in ms since the epoch: `clock`'s, unless the deprecated `now` was given. */
  readonly now: () => number;
  readonly admission: Required<AdmissionOptions>;
  readonly maxBatchDelayMs: number;
  readonly minBatchDelayMs: number;
  readonly fanOutSliceMs: number;
  readonly leaveGraceMs: number;
  readonly leaveGraceClock: Clock & Timers;
  readonly wireRefs: WireRefs;
  /** This gateway's `presence_state` fragments: of its tracker view, with its ref key. */
  readonly stateFragments: PresenceStateFragments;
  readonly inboundBudget: Required<InboundBudgetOptions>;
  readonly handshakeRateLimit: Required<HandshakeRateLimitOptions>;
  readonly subscriptionRecheck: ResolvedSubscriptionRecheckOptions;
  readonly lastSeen: LastSeenStore | undefined;
}

const SPECS = PRESENCE_OPTIONS.options;
export const DEFAULT_LEAVE_GRACE_MS = SPECS.leaveGraceMs.default;
/** The longest leave grace: setTimeout's longest delay. */
export const MAX_LEAVE_GRACE_MS = SPECS.leaveGraceMs.max;

export function resolveGatewayOptions(options: PresenceGatewayOptions): ResolvedGatewayOptions {
  if (!options || typeof options !== 'object') {
    throw new InvalidOptionError('gateway options must be an object');
  }
  const { replica, graph, changes } = options;
  if (!replica || typeof replica.track !== 'function') {
    throw new InvalidOptionError('replica must be a TrackerReplica');
  }
  if (!changes || typeof changes.attach !== 'function') {
    throw new InvalidOptionError(
      "changes must be the server's change router (src/change-router/), where the gateway follows the tracker",
    );
  }
  if (!graph || typeof graph.visibleTo !== 'function' || typeof graph.subscribe !== 'function') {
    throw new InvalidOptionError(
      'graph must be a FriendsGraph (visibleTo, subscribe, close): pass an adapter from graph-adapters/',
    );
  }
  const clock = options.clock ?? systemServerClock;
  const now = options.now ?? wallClockOf(clock);
  const authenticate = resolveAuthenticate(options, now);
  const rateLimit = {
    perSecond: positiveNumberOption(
      'rateLimit.perSecond',
      options.rateLimit?.perSecond ?? DEFAULT_RATE_LIMIT.perSecond,
    ),
    burst: positiveOption('rateLimit.burst', options.rateLimit?.burst ?? DEFAULT_RATE_LIMIT.burst),
  };
  const retry = options.graphRetry ?? {};
  const graphRetry = {
    initialDelayMs: positiveOption(
      'graphRetry.initialDelayMs',
      retry.initialDelayMs ?? DEFAULT_GRAPH_RETRY.initialDelayMs,
    ),
    maxDelayMs: positiveOption(
      'graphRetry.maxDelayMs',
      retry.maxDelayMs ?? DEFAULT_GRAPH_RETRY.maxDelayMs,
    ),
    maxAttempts: retry.maxAttempts ?? DEFAULT_GRAPH_RETRY.maxAttempts,
  };
  if (graphRetry.maxAttempts !== Number.POSITIVE_INFINITY) {
    positiveOption('graphRetry.maxAttempts', graphRetry.maxAttempts);
  }
  if (graphRetry.maxDelayMs < graphRetry.initialDelayMs) {
    throw new InvalidOptionError(
      `graphRetry.maxDelayMs (${graphRetry.maxDelayMs}) must be at least graphRetry.initialDelayMs (${graphRetry.initialDelayMs})`,
    );
  }
  const resolved = {
    replica,
    changes,
    graph,
    authenticate,
    rateLimit,
    graphTimeoutMs: integerOption('graphTimeoutMs', SPECS.graphTimeoutMs, options.graphTimeoutMs),
    maxConnectionsPerUser: integerOption(
      'maxConnectionsPerUser',
      SPECS.maxConnectionsPerUser,
      options.maxConnectionsPerUser,
    ),
    graphRetry,
    logger: options.logger ?? silentLogger,
    clock,
    now,
    admission: resolveAdmissionOptions(options.admission),
    ...batchDelayOptions(options),
    fanOutSliceMs: integerOption('fanOutSliceMs', SPECS.fanOutSliceMs, options.fanOutSliceMs),
    leaveGraceMs: integerOption('leaveGraceMs', SPECS.leaveGraceMs, options.leaveGraceMs),
    leaveGraceClock: options.leaveGraceClock ?? clock,
    wireRefs: new WireRefs(wireRefKey(refSecretOption(options))),
    inboundBudget: resolveInboundBudget(options.inboundBudget),
    handshakeRateLimit: resolveHandshakeRateLimit(options.handshakeRateLimit),
    subscriptionRecheck: resolveSubscriptionRecheck(options.subscriptionRecheck, clock),
    lastSeen: resolveLastSeen(options.lastSeen),
  };
  return {
    ...resolved,
    stateFragments: new PresenceStateFragments(replica.view, resolved.wireRefs),
  };
}

function batchDelayOptions(options: PresenceGatewayOptions): {
  maxBatchDelayMs: number;
  minBatchDelayMs: number;
} {
  const maxBatchDelayMs = integerOption(
    'maxBatchDelayMs',
    SPECS.maxBatchDelayMs,
    options.maxBatchDelayMs,
  );
  const minBatchDelayMs = integerOption(
    'minBatchDelayMs',
    SPECS.minBatchDelayMs,
    options.minBatchDelayMs,
  );
  if (minBatchDelayMs > maxBatchDelayMs) {
    throw new InvalidOptionError(
      `minBatchDelayMs (${minBatchDelayMs}) must be at most maxBatchDelayMs (${maxBatchDelayMs}): lower it or raise maxBatchDelayMs`,
    );
  }
  return { maxBatchDelayMs, minBatchDelayMs };
}

function refSecretOption(options: PresenceGatewayOptions): string | Uint8Array | undefined {
  const { refSecret } = options;
  if (refSecret === undefined) return options.jwtSecret;
  if (
    !(typeof refSecret === 'string' || refSecret instanceof Uint8Array) ||
    refSecret.length === 0
  ) {
    throw new InvalidOptionError(
      'refSecret must be a non-empty string or Uint8Array shared by every node (or leave it out)',
    );
  }
  return refSecret;
}

function resolveAuthenticate(options: PresenceGatewayOptions, now: () => number): Authenticate {
  const { jwtSecret, authenticate, jwtPolicy } = options;
  if (jwtSecret !== undefined && authenticate !== undefined) {
    throw new InvalidOptionError('give either jwtSecret or authenticate, not both');
  }
  if (authenticate !== undefined) {
    if (typeof authenticate !== 'function') {
      throw new InvalidOptionError('authenticate must be a function (handshake) => { userId }');
    }
    if (jwtPolicy !== undefined) {
      throw new InvalidOptionError(
        'jwtPolicy applies to jwtSecret only: with authenticate, check the token in it',
      );
    }
    return authenticate;
  }
  if (jwtSecret === undefined) {
    throw new InvalidOptionError(
      'no authentication: give jwtSecret (the HS256 secret of client tokens) or authenticate(handshake)',
    );
  }
  return jwtAuthenticate(jwtSecret, jwtPolicy, now);
}

function resolveLastSeen(store: LastSeenStore | undefined): LastSeenStore | undefined {
  if (store === undefined) return undefined;
  const methods = ['record', 'setVisibility', 'get', 'close'] as const;
  const candidate = store as Partial<Record<(typeof methods)[number], unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    methods.some((method) => typeof candidate[method] !== 'function')
  ) {
    throw new InvalidOptionError(
      'lastSeen must be a LastSeenStore (record, setVisibility, get, close), e.g. new MemoryLastSeenStore()',
    );
  }
  return store;
}
