/**
 * Logs a repeated problem at most once per interval, with how many were not logged since: a flood
 * of forged frames must not become a flood of log lines.
 */
import { type Clock, systemClock } from './clock.js';
import type { Logger } from './logger.js';

const INTERVAL_MS = 10_000;

export class RateLimitedLog {
  private readonly lastLoggedAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  warn(reason: string, fields: object, message: string): void {
    const now = this.clock.now();
    const last = this.lastLoggedAt.get(reason);
    if (last !== undefined && now - last < INTERVAL_MS) {
      this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
      return;
    }
    this.lastLoggedAt.set(reason, now);
    const notLogged = this.suppressed.get(reason) ?? 0;
    this.suppressed.delete(reason);
    this.logger.warn({ ...fields, reason, notLoggedSinceLast: notLogged }, message);
  }
}
