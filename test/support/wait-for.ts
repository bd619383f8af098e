/**
 * The polling wait is load/support/wait-for.ts: the load tools wait too, and load never imports
 * test/.
 */
export * from '../../load/support/wait-for.js';
