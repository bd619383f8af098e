/** Building blocks shared by the adapters; also handy when writing a new one. */

export { withDeadline } from '../../src/ports/graph-deadline.js';
export { ChangeFeed, closedError, warnOnStderr } from './change-feed.js';
export { isUserId, type ParsedChange, parseChange, parseChangeJson } from './edge-change-json.js';
export type { EdgeTuple } from './edge-tuple.js';
export { assertUserId, MAX_USER_ID_BYTES } from './user-id.js';
