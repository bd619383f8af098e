/** Moved to src/domain/limits.ts; this re-export serves handshake-meta.ts until it imports src/domain. */
export * from '../domain/limits.js';
