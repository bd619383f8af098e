/**
 * A list of handlers for one kind of transport event, shared by the transport adapters.
 *
 * Dispatch never lets a handler's exception escape: it would surface in a socket callback or an
 * immediate, far from its cause, and could kill the process. It is logged and counted instead.
 */

import type { Logger } from '../ports/logger.js';

interface Registration<Args extends unknown[]> {
  readonly handle: (...args: Args) => void;
}

export class HandlerRegistry<Args extends unknown[]> {
  private readonly registrations = new Set<Registration<Args>>();

  constructor(
    private readonly event: string,
    private readonly logger: Logger,
    private readonly onHandlerError: () => void,
  ) {}

  /** Adds a handler; returns an idempotent function that removes exactly this registration. */
  add(handle: (...args: Args) => void): () => void {
    // One object per registration, so the same function registered twice is removed once per call.
    const registration: Registration<Args> = { handle };
    this.registrations.add(registration);
    return () => {
      this.registrations.delete(registration);
    };
  }

  get size(): number {
    return this.registrations.size;
  }

  dispatch(...args: Args): void {
    for (const registration of [...this.registrations]) {
      // A handler removed by an earlier one during this dispatch must not run.
      if (!this.registrations.has(registration)) continue;
      try {
        registration.handle(...args);
      } catch (err) {
        this.onHandlerError();
        this.logger.error(
          { err, event: this.event },
          `replication transport: ${this.event} handler threw`,
        );
      }
    }
  }

  clear(): void {
    this.registrations.clear();
  }
}
