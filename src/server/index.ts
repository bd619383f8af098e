/** The presence service as a library. */
export {
  createPresenceServer,
  type PresenceServer,
  type PresenceServerOptions,
} from './create-presence-server.js';
export type { PresenceHttpHandler, PresenceHttpOptions } from './presence-http.js';
export type { Readiness, ReadinessCode, ReadinessReason } from './readiness.js';
