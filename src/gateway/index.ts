/** The socket.io presence gateway. */
export {
  type Authenticate,
  type AuthenticatedUser,
  type Handshake,
  jwtAuthenticate,
  MAX_USER_ID_LENGTH,
} from './authentication.js';
export * from './client-protocol.js';
export type { PresenceGatewayOptions } from './gateway-options.js';
export * from './limits.js';
export { type GatewayStats, PresenceGateway, UNAVAILABLE } from './presence-gateway.js';
export type { GraphRetryOptions } from './retry-backoff.js';
export type { SubscriptionRecheckOptions } from './subscription-recheck.js';
export type { RateLimitOptions } from './token-bucket.js';
export { selfTopic, userTopic } from './topics.js';
