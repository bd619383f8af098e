/**
 * `POST /admin/deliver` (admin token): `deliver` over HTTP, for backends that are not the node's
 * own process. Body `{ user, event, payload?, timeoutMs?, ack? }`; answers 200 with the delivery
 * result once it is settled (up to `timeoutMs` and the fallback hook), 400/413 with a coded error
 * naming the field to fix, 503 when the node cannot deliver.
 */

import { InvalidDeliveryError, MAX_PAYLOAD_BYTES } from '../delivery/delivery-input.js';
import type { Deliver } from '../delivery/server-delivery.js';
import { InvalidOptionError } from '../errors.js';
import { sendJson } from './json-response.js';
import { HttpError, readJsonBody } from './read-json-body.js';
import { adminRoute, type Route } from './route.js';

export const DELIVER_PATH = '/admin/deliver';
const FIELDS: ReadonlySet<string> = new Set(['user', 'event', 'payload', 'timeoutMs', 'ack']);
/** Room for the payload (escaped JSON can be longer than its compact form) and the other fields. */
const MAX_BODY_BYTES = 2 * MAX_PAYLOAD_BYTES + 4096;

export function deliveryRoutes(deliver: Deliver): Map<string, Route> {
  return new Map([
    [
      DELIVER_PATH,
      adminRoute('POST', async (req, res) => {
        const body = await readJsonBody(req, MAX_BODY_BYTES);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new HttpError(
            400,
            'invalid_body',
            'send a JSON object { user, event, payload?, timeoutMs?, ack? }',
          );
        }
        const fields = body as Record<string, unknown>;
        for (const key of Object.keys(fields)) {
          if (!FIELDS.has(key)) {
            throw new HttpError(
              400,
              'unknown_field',
              `unknown field "${key}": the body takes user, event, payload, timeoutMs and ack`,
            );
          }
        }
        const options: { timeoutMs?: number; ack?: 'first' | 'all' } = {};
        if (fields['timeoutMs'] !== undefined) options.timeoutMs = fields['timeoutMs'] as number;
        if (fields['ack'] !== undefined) options.ack = fields['ack'] as 'first' | 'all';
        let result: Awaited<ReturnType<Deliver>>;
        try {
          result = await deliver(
            fields['user'] as string,
            fields['event'] as string,
            fields['payload'],
            options,
          );
        } catch (error) {
          throw asHttpError(error);
        }
        sendJson(res, 200, result);
      }),
    ],
  ]);
}

function asHttpError(error: unknown): unknown {
  if (error instanceof InvalidDeliveryError) {
    const message = error.message.replace(/^deliver: /, '').replace(/^userId/, 'user');
    return new HttpError(error.reason === 'payload_too_large' ? 413 : 400, error.reason, message);
  }
  if (error instanceof InvalidOptionError) {
    return new HttpError(503, 'delivery_unavailable', error.message);
  }
  return error;
}
