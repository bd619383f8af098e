/** The presence query: users' presence as the backend or as one viewer sees it. */
export type {
  PresenceQueryResult,
  QueryPresence,
} from './presence-query.js';
export {
  InvalidQueryError,
  type InvalidQueryReason,
  MAX_QUERY_USERS,
  type QueryOptions,
} from './query-input.js';
export { OFFLINE_STATUS, type UserPresence } from './user-presence.js';
