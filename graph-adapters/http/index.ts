/** The HTTP friends-graph adapter: the app's own API, a bounded cache and a signed webhook. */
export { fetchVisible, visibleUrl } from './fetch-visible.js';
export { HttpFriendsGraph, type HttpFriendsGraphOptions } from './http-friends-graph.js';
export { VisibleCache, type VisibleCacheOptions } from './visible-cache.js';
export {
  createWebhookHandler,
  MAX_WEBHOOK_BODY_BYTES,
  type WebhookRequestListener,
} from './webhook-handler.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from './webhook-signature.js';
