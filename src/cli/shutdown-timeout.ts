/**
 * Longest a node's shutdown after SIGTERM may take before the process exits anyway: the drain
 * window, then the leave grace (the entries of the clients that moved last, until their devices
 * are back elsewhere), then the close itself. The grace periods in deploy/ (systemd, compose,
 * Kubernetes) are longer with the default options (test/deploy/deploy-files.test.ts).
 */
import { ALL_OPTIONS } from '../options/index.js';

/** The close after the drain: announcing the leave, closing the stores and the HTTP server. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** The whole stop's bound for a node's drain window and leave grace. */
export function shutdownBoundMs(timing: { drainMs: number; leaveGraceMs: number }): number {
  return timing.drainMs + timing.leaveGraceMs + SHUTDOWN_TIMEOUT_MS;
}

/** The bound with the default options: what deploy/'s stop periods must cover. */
export const DEFAULT_SHUTDOWN_BOUND_MS = shutdownBoundMs({
  drainMs: ALL_OPTIONS.drainMs.default,
  leaveGraceMs: ALL_OPTIONS.leaveGraceMs.default,
});
