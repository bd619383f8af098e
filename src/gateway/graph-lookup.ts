/** Moved to src/domain/graph-lookup.ts; this re-export serves src/query until it imports src/domain. */
export * from '../domain/graph-lookup.js';
