/**
 * The redis-server harness is load/support/redis-server.ts: the load tools start one too, and
 * load never imports test/.
 */
export * from '../../load/support/redis-server.js';
