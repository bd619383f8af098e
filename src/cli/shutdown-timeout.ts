/**
 * Longest a node's shutdown after SIGTERM may take before the process exits anyway. The grace
 * periods in deploy/ (systemd, compose, Kubernetes) are longer (test/deploy/deploy-files.test.ts).
 */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
