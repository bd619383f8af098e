/** Moved to src/domain/topics.ts; this re-export serves src/query until it imports src/domain. */
export * from '../domain/topics.js';
