/** Reliable delivery to a user's connections, cluster-wide, with a fallback hook. */

export { Deliverer, type DeliveryStats, type SettledListener } from './deliverer.js';
export {
  InvalidDeliveryError,
  type InvalidDeliveryReason,
  MAX_DELIVERY_TIMEOUT_MS,
  MAX_EVENT_LENGTH,
  MAX_PAYLOAD_BYTES,
} from './delivery-input.js';
export type {
  AckMode,
  DeliverOptions,
  DeliveryResult,
  DeliveryServerOptions,
  OnUndelivered,
  UndeliveredMessage,
  UndeliveredReason,
} from './delivery-types.js';
