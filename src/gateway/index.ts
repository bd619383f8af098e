/** The socket.io presence gateway. */

export * from '../domain/client-protocol.js';
export * from '../domain/limits.js';
export { selfTopic, userTopic } from '../domain/topics.js';
export {
  type Authenticate,
  type AuthenticatedUser,
  type Handshake,
  jwtAuthenticate,
  MIN_JWT_SECRET_BYTES,
} from './authentication.js';
export type { PresenceGatewayOptions } from './gateway-options.js';
export { DEFAULT_JWT_MAX_AGE_S, JWT_CLOCK_TOLERANCE_S, type JwtPolicy } from './jwt-policy.js';
export { type GatewayStats, PresenceGateway, UNAVAILABLE } from './presence-gateway.js';
export {
  createPresenceToken,
  DEFAULT_TOKEN_TTL,
  type PresenceTokenOptions,
} from './presence-token.js';
export type { GraphRetryOptions } from './retry-backoff.js';
export type { SubscriptionRecheckOptions } from './subscription-recheck.js';
export type { RateLimitOptions } from './token-bucket.js';
