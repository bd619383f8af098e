/**
 * Checks a `deliver` call's arguments and brings the payload to plain JSON, so that a local and
 * a remote delivery show the client exactly the same value. Every refusal is an
 * InvalidDeliveryError whose `reason` names the argument (the HTTP route answers it as the code).
 */

import { utf8Length } from '../domain/limits.js';
import { isValidUserId, userIdProblem } from '../domain/user-id.js';
import { InvalidInputError } from '../errors.js';
import type { AckMode, DeliverOptions } from './delivery-types.js';

/** Longest event name. */
export const MAX_EVENT_LENGTH = 64;
/** Largest payload, as UTF-8 JSON. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Longest timeout a call may ask for: pending deliveries hold memory until they settle. */
export const MAX_DELIVERY_TIMEOUT_MS = 60_000;
export const DEFAULT_DELIVERY_TIMEOUT_MS = 5_000;

export type InvalidDeliveryReason =
  | 'invalid_user'
  | 'invalid_event'
  | 'invalid_payload'
  | 'payload_too_large'
  | 'invalid_timeout'
  | 'invalid_ack';

/** A `deliver` argument is malformed; `reason` says which (code `PRESENCE_INVALID_INPUT`). */
export class InvalidDeliveryError extends InvalidInputError {
  constructor(
    readonly reason: InvalidDeliveryReason,
    message: string,
  ) {
    super(`deliver: ${message}`);
  }
}

export interface CheckedDelivery {
  readonly userId: string;
  readonly event: string;
  /** The payload as plain JSON (what clients receive). */
  readonly payload: unknown;
  /** Its JSON text, carried to other nodes as is. */
  readonly payloadJson: string;
  readonly ack: AckMode;
  readonly timeoutMs: number;
}

export function checkDelivery(
  userId: unknown,
  event: unknown,
  payload: unknown,
  options: DeliverOptions | undefined,
  defaultTimeoutMs: number,
): CheckedDelivery {
  if (!isValidUserId(userId)) {
    throw new InvalidDeliveryError('invalid_user', `userId: ${userIdProblem(userId)}`);
  }
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_LENGTH) {
    throw new InvalidDeliveryError(
      'invalid_event',
      `event must be a non-empty string of at most ${MAX_EVENT_LENGTH} characters`,
    );
  }
  const payloadJson = payloadText(payload);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidDeliveryError('invalid_ack', 'options must be an object { ack?, timeoutMs? }');
  }
  const ack = options?.ack ?? 'first';
  if (ack !== 'first' && ack !== 'all') {
    throw new InvalidDeliveryError(
      'invalid_ack',
      `ack must be "first" or "all", got ${String(ack)}`,
    );
  }
  const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
  if (!isTimeoutMs(timeoutMs)) {
    throw new InvalidDeliveryError(
      'invalid_timeout',
      `timeoutMs must be an integer from 1 to ${MAX_DELIVERY_TIMEOUT_MS}, got ${String(timeoutMs)}`,
    );
  }
  return { userId, event, payload: JSON.parse(payloadJson), payloadJson, ack, timeoutMs };
}

/** The payload's JSON text (`undefined` is `null`). */
function payloadText(payload: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload === undefined ? null : payload);
  } catch (error) {
    throw new InvalidDeliveryError(
      'invalid_payload',
      `payload must be JSON-serialisable (${(error as Error).message})`,
    );
  }
  if (text === undefined) {
    throw new InvalidDeliveryError(
      'invalid_payload',
      'payload must be JSON-serialisable (a function or symbol is not)',
    );
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: measure only when it could be too large.
  if (text.length * 3 > MAX_PAYLOAD_BYTES && utf8Length(text) > MAX_PAYLOAD_BYTES) {
    throw new InvalidDeliveryError(
      'payload_too_large',
      `payload must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON; send a reference to the data instead`,
    );
  }
  return text;
}

export function isTimeoutMs(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= 1 &&
    value <= MAX_DELIVERY_TIMEOUT_MS
  );
}
