/** The presence service as a library. */
export {
  createPresenceServer,
  type PresenceServer,
  type PresenceServerOptions,
} from './create-presence-server.js';
