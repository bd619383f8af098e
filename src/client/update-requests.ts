/**
 * `presence:update` requests and their acks. A request made while disconnected waits for the
 * next connection; every request settles exactly once: resolved on `{ok: true}`, rejected with
 * the server's code on `{ok: false}`, with `timeout` when no ack came in time (counted from the
 * call, waiting included), with `disconnected` when the connection was lost before the ack.
 */

import type { PresencePatch } from '../domain/client-protocol.js';
import { PresenceClientError } from './client-error.js';

/** How requests reach the server. */
export interface UpdateTransport {
  readonly connected: boolean;
  send(patch: PresencePatch, ack: (response: unknown) => void): void;
}

interface Request {
  readonly patch: PresencePatch;
  readonly resolve: () => void;
  readonly reject: (error: PresenceClientError) => void;
  readonly onApplied: ((patch: PresencePatch) => void) | undefined;
  readonly timer: ReturnType<typeof setTimeout>;
  settled: boolean;
}

export class UpdateRequests {
  readonly #transport: UpdateTransport;
  readonly #timeoutMs: number;
  #queued: Request[] = [];
  readonly #inFlight = new Set<Request>();

  constructor(transport: UpdateTransport, timeoutMs: number) {
    this.#transport = transport;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Sends `patch` now, or on the next connection. `onApplied` runs when the server says the
   * patch was applied, even if the ack came after the timeout.
   */
  request(patch: PresencePatch, onApplied?: (patch: PresencePatch) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const request: Request = {
        patch,
        resolve,
        reject,
        onApplied,
        settled: false,
        timer: setTimeout(() => {
          this.#settle(
            request,
            new PresenceClientError(
              'timeout',
              `presence:update: no ack within ${this.#timeoutMs} ms`,
            ),
          );
        }, this.#timeoutMs),
      };
      if (this.#transport.connected) this.#send(request);
      else this.#queued.push(request);
    });
  }

  /** Sends what waited for a connection, in call order. Call it once connected. */
  flush(): void {
    const queued = this.#queued;
    this.#queued = [];
    for (const request of queued) if (!request.settled) this.#send(request);
  }

  /** The connection is lost: requests sent on it will never be acked. Queued ones keep waiting. */
  failInFlight(message: string): void {
    for (const request of [...this.#inFlight]) {
      this.#settle(request, new PresenceClientError('disconnected', message));
    }
  }

  /** Rejects every request, sent or not (the client is closed). */
  failAll(error: PresenceClientError): void {
    const queued = this.#queued;
    this.#queued = [];
    for (const request of [...this.#inFlight, ...queued]) this.#settle(request, error);
  }

  #send(request: Request): void {
    this.#inFlight.add(request);
    this.#transport.send(request.patch, (response) => this.#onAck(request, response));
  }

  #onAck(request: Request, response: unknown): void {
    const ack = response as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
    if (typeof response === 'object' && response !== null && ack.ok === true) {
      request.onApplied?.(request.patch);
      this.#settle(request);
    } else if (typeof response === 'object' && response !== null && ack.ok === false) {
      const code = typeof ack.error?.code === 'string' ? ack.error.code : 'update_failed';
      const message =
        typeof ack.error?.message === 'string' ? ack.error.message : 'presence:update failed';
      this.#settle(request, new PresenceClientError(code, message));
    } else {
      this.#settle(
        request,
        new PresenceClientError('bad_payload', 'presence:update: unreadable ack from the server'),
      );
    }
  }

  #settle(request: Request, error?: PresenceClientError): void {
    this.#inFlight.delete(request);
    if (request.settled) return;
    request.settled = true;
    clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve();
  }
}
