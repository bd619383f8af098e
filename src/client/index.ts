/**
 * `graph-presence/client`: the browser and Node client of a graph-presence server.
 *
 * - {@link createPresenceClient} / {@link PresenceClient}: connect, keep the visible users'
 *   presence in sync, listen for joins, leaves, updates and syncs, set status and invisibility.
 * - {@link syncState}, {@link syncDiff}, {@link listPresences}: the sync functions alone, with
 *   the semantics of Phoenix's JS `Presence`, for apps that bring their own socket.
 */

export type { DeviceKind } from '../domain/device-kind.js';
export { type ClientErrorCode, PresenceClientError } from './client-error.js';
export type { FriendStatus } from './friend-status.js';
export { DEFAULT_IDLE_AFTER_MS, type IdleClock } from './idle-away.js';
export {
  DEFAULT_MESSAGE_MEMORY,
  type PresenceMessage,
} from './incoming-messages.js';
export type { PresenceChange } from './presence-changes.js';
export {
  createPresenceClient,
  PresenceClient,
  type PresenceClientEvents,
  type PresenceClientOptions,
} from './presence-client.js';
export {
  emptyState,
  list as listPresences,
  type OnJoin,
  type OnLeave,
  type PartialDiff,
  stateDiff,
  syncDiff,
  syncState,
} from './presence-sync.js';
export { PresenceView, type PresenceViewSink, type UserPresence } from './presence-view.js';
export type {
  Meta,
  PatchValue,
  Presence,
  PresenceDiff,
  PresenceMeta,
  PresenceState,
  UpdateAck,
  UpdatePatch,
} from './types.js';
