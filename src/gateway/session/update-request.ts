/**
 * Reads the arguments of a `presence:update` event as sent by any client, well-formed or not: the
 * ack is the last argument if it is a function, the patch the first argument that is not the
 * ack. A missing ack is fine (the update still applies); a throwing ack is logged, not raised.
 */

import type { ClientError, UpdateAck } from '../../domain/client-protocol.js';
import type { Logger } from '../../ports/logger.js';

export interface UpdateRequest {
  readonly patch: unknown;
  reply(result: UpdateAck): void;
}

export function readUpdateRequest(args: readonly unknown[], logger: Logger): UpdateRequest {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (result: UpdateAck) => void) : undefined;
  const patch = args.length > 0 && args[0] !== ack ? args[0] : undefined;
  return {
    patch,
    reply(result) {
      if (!ack) return;
      try {
        ack(result);
      } catch (err) {
        logger.warn({ err }, 'presence:update ack failed');
      }
    },
  };
}

export function failure(code: ClientError['code'], message: string): UpdateAck {
  return { ok: false, error: { code, message } };
}

export const OK: UpdateAck = Object.freeze({ ok: true });
