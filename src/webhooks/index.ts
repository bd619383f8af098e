/**
 * What a receiver of the online/offline webhooks needs (docs/webhooks.md): the event's shape and
 * the signature check. The sender itself is wired in by the server.
 */
export {
  STANDARD_WEBHOOK_ID_HEADER,
  STANDARD_WEBHOOK_SIGNATURE_HEADER,
  STANDARD_WEBHOOK_TIMESTAMP_HEADER,
  signStandardWebhook,
  standardWebhookSecret,
} from './standard-webhook-signature.js';
export type { WebhookEvent, WebhookEventType } from './webhook-event.js';
export {
  DEFAULT_SIGNATURE_TOLERANCE_S,
  PRESENCE_SIGNATURE_HEADER,
  type PresenceSignatureCheck,
  signPresenceWebhook,
  type VerifyOptions,
  verifyPresenceWebhookSignature,
} from './webhook-signature.js';
