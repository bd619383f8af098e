/**
 * Delivery as createPresenceServer sets it up. One node (no `bus` or `transport`): deliveries stay
 * on this node. A `bus` gives its delivery channel; a cluster given `transport` alone needs a
 * `deliveryTransport` too; without one, `deliver` rejects
 * with an InvalidOptionError saying so (rather than quietly reaching only this node's users),
 * and servers that never deliver are not bothered.
 */
import type { ChangeRoutes } from '../change-router/change-routes.js';
import { InvalidOptionError } from '../errors.js';
import type { PresenceGateway } from '../gateway/presence-gateway.js';
import type { BusChannel } from '../ports/bus-channel.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { Deliverer } from './deliverer.js';
import type { DeliverOptions, DeliveryResult, DeliveryServerOptions } from './delivery-types.js';

export type Deliver = (
  userId: string,
  event: string,
  payload?: unknown,
  options?: DeliverOptions,
) => Promise<DeliveryResult>;

export interface ServerDeliveryOptions {
  readonly replica: PresenceTracker;
  readonly changes: ChangeRoutes;
  readonly gateway: PresenceGateway;
  /** The tracker's transport as given to createPresenceServer (undefined: one node). */
  readonly transport?: BusChannel | undefined;
  readonly deliveryTransport?: BusChannel | undefined;
  readonly delivery?: DeliveryServerOptions | undefined;
  readonly logger: Logger;
  readonly clock: Clock & Timers;
}

export function setUpDelivery(options: ServerDeliveryOptions): {
  deliverer: Deliverer | undefined;
  deliver: Deliver;
} {
  const { transport, deliveryTransport, replica, gateway } = options;
  checkDeliveryTransport(deliveryTransport, transport, replica.ref.name);
  if (
    options.delivery !== undefined &&
    (typeof options.delivery !== 'object' || !options.delivery)
  ) {
    throw new InvalidOptionError(
      'createPresenceServer: delivery must be an object { onUndelivered?, timeoutMs? }',
    );
  }
  const hook = options.delivery?.onUndelivered;
  if (hook !== undefined && typeof hook !== 'function') {
    throw new InvalidOptionError(
      'createPresenceServer: delivery.onUndelivered must be a function (message) => void | Promise<void>',
    );
  }
  if (transport !== undefined && deliveryTransport === undefined) {
    const missing = () =>
      Promise.reject(
        new InvalidOptionError(
          "deliver: this server replicates over `transport` but has no `deliveryTransport`, so it cannot reach users on other nodes; give createPresenceServer a bus instead of transport, or a deliveryTransport (e.g. bus.channel('delivery'))",
        ),
      );
    return { deliverer: undefined, deliver: missing };
  }
  const deliverer = new Deliverer({
    ...options.delivery,
    replica,
    changes: options.changes,
    localSockets: (userId) => gateway.socketsOf(userId),
    transport: deliveryTransport,
    logger: options.logger,
    clock: options.clock,
  });
  return {
    deliverer,
    deliver: (userId, event, payload, callOptions) =>
      deliverer.deliver(userId, event, payload, callOptions),
  };
}

function checkDeliveryTransport(
  deliveryTransport: BusChannel | undefined,
  transport: BusChannel | undefined,
  nodeName: string,
): void {
  if (deliveryTransport === undefined) return;
  if (
    !deliveryTransport ||
    typeof deliveryTransport.onFrame !== 'function' ||
    typeof deliveryTransport.sendTo !== 'function'
  ) {
    throw new InvalidOptionError(
      "createPresenceServer: deliveryTransport must be a BusChannel (e.g. bus.channel('delivery'), or createInMemoryBus().createTransport)",
    );
  }
  if (deliveryTransport === transport) {
    throw new InvalidOptionError(
      "createPresenceServer: deliveryTransport must not be the tracker's transport (it carries only tracker frames); use the bus's delivery channel, bus.channel('delivery')",
    );
  }
  if (deliveryTransport.selfId !== nodeName) {
    throw new InvalidOptionError(
      `createPresenceServer: deliveryTransport.selfId "${deliveryTransport.selfId}" differs from the node name "${nodeName}"; create it with the node name`,
    );
  }
}
