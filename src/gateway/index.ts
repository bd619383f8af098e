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
} from './edge/authentication.js';
export { DEFAULT_JWT_MAX_AGE_S, JWT_CLOCK_TOLERANCE_S, type JwtPolicy } from './edge/jwt-policy.js';
export {
  createPresenceToken,
  DEFAULT_TOKEN_TTL,
  type PresenceTokenOptions,
} from './edge/presence-token.js';
export type { RateLimitOptions } from './edge/token-bucket.js';
export type { PresenceGatewayOptions } from './gateway-options.js';
export { type GatewayStats, PresenceGateway, UNAVAILABLE } from './presence-gateway.js';
export type { GraphRetryOptions } from './session/retry-backoff.js';
export type { SubscriptionRecheckOptions } from './session/subscription-recheck.js';
