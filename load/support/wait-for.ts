/**
 * Waits for a condition by polling, with a deadline. Tests wait for outcomes, never for time:
 * the deadline only turns a hang into a readable failure.
 */

export interface WaitForOptions {
  /** @default 5000 */
  timeoutMs?: number;
  /** Pause between polls. @default 10 */
  intervalMs?: number;
  /** Names the condition in the timeout error. */
  description?: string;
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const { timeoutMs = 5_000, intervalMs = 10, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (err) {
      // A predicate may throw until the state settles (e.g. a connection not yet open).
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitFor: ${description} not met within ${timeoutMs} ms`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
