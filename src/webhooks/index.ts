/**
 * What a receiver of the online/offline webhooks needs (docs/webhooks.md): the event's shape and
 * the signature check. The sender itself is wired in by the server.
 */
export type { WebhookEvent, WebhookEventType } from './webhook-event.js';
export {
  DEFAULT_SIGNATURE_TOLERANCE_S,
  SIGNATURE_HEADER,
  type SignatureCheck,
  signWebhook,
  type VerifyOptions,
  verifyWebhookSignature,
} from './webhook-signature.js';
