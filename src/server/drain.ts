/**
 * A node's drain before it stops (`close({ drainMs })`, SIGTERM on the command line): its clients
 * move to other nodes spread over `drainMs`, and each entry stays until its device is back
 * elsewhere, so friends see nothing of the move (PROTOCOL.md, "Drain").
 *
 * The gateway does the moving (PresenceGateway.drain: `presence_drain` to each client, new
 * connections refused with `draining`, every leave kept in the leave grace, whose entry ends when
 * the device's join elsewhere reaches this node; while draining no graced entry expires). This
 * waits until nothing is left: no open connection and no graced entry. At the end of the window
 * the connections still open (clients that ignored the instruction) are cut as a network loss
 * would; the wait then lasts at most the leave grace more. What is still left then (devices not
 * back elsewhere yet, e.g. refused by a survivor busy with the storm of moves) is not untracked:
 * the close stops the replica without announcing its leave, and the other nodes hold those
 * entries for their crash grace like a crashed node's, so a device back later is still silent.
 */
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** How often the drain checks what is left (ms). */
export const DRAIN_CHECK_MS = 100;

export interface DrainedGateway {
  drain(withinMs: number): void;
  cutDrained(): void;
  stats(): { readonly connections: number; readonly graced: number };
}

export interface DrainOptions {
  readonly drainMs: number;
  readonly leaveGraceMs: number;
  /** Aborted: the drain ends now (e.g. a second signal); what is left leaves with the close. */
  readonly signal?: AbortSignal | undefined;
}

export interface DrainOutcome {
  /** Connections open when the drain began. */
  readonly connections: number;
  /** Connections and graced entries left when it ended (they leave with the close). */
  readonly left: number;
  /** Whether the window ended with connections still open (they were cut). */
  readonly cut: boolean;
}

export async function drainGateway(
  gateway: DrainedGateway,
  options: DrainOptions,
  timers: Clock & Timers,
  logger: Logger,
): Promise<DrainOutcome> {
  const start = timers.now();
  const connections = gateway.stats().connections;
  const left = () => {
    const stats = gateway.stats();
    return stats.connections + stats.graced;
  };
  logger.info({ connections, drainMs: options.drainMs }, 'draining: clients move to other nodes');
  gateway.drain(options.drainMs);
  let cut = false;
  let windowEnded = false;
  await new Promise<void>((resolve) => {
    let timer: unknown;
    const done = () => {
      if (timer !== undefined) timers.clearTimeout(timer);
      options.signal?.removeEventListener('abort', done);
      resolve();
    };
    if (options.signal?.aborted) return done();
    options.signal?.addEventListener('abort', done, { once: true });
    const check = () => {
      timer = undefined;
      if (left() === 0) return done();
      const elapsed = timers.now() - start;
      if (!windowEnded && elapsed >= options.drainMs) {
        windowEnded = true;
        cut = gateway.stats().connections > 0;
        gateway.cutDrained();
      }
      if (elapsed >= options.drainMs + options.leaveGraceMs) return done();
      timer = timers.setTimeout(check, DRAIN_CHECK_MS);
    };
    check();
  });
  const outcome = { connections, left: left(), cut };
  logger.info(outcome, 'drained');
  return outcome;
}
