/**
 * `presence.http(options)`: the node's HTTP surface as one request handler for the app's own
 * server, the same one the CLI serves: `/healthz`, `/readyz`, and with an admin token the admin
 * routes (`/admin/presence`, `/admin/presence/query`, the counts, `/admin/deliver`, `/metrics`).
 */
import type { PresenceCounts } from '../counts/presence-counts.js';
import type { Deliver } from '../delivery/server-delivery.js';
import { InvalidOptionError } from '../errors.js';
import { MIN_ADMIN_TOKEN_LENGTH } from '../http/admin-token.js';
import { countRoutes } from '../http/count-routes.js';
import { deliveryRoutes } from '../http/delivery-routes.js';
import { createHttpHandler, type PresenceRequestHandler } from '../http/http-handler.js';
import type { PresenceMetrics } from '../http/metrics.js';
import { presenceQueryRoutes } from '../http/presence-query-route.js';
import type { Logger } from '../ports/logger.js';
import type { QueryPresence } from '../query/presence-query.js';
import type { Readiness } from './readiness.js';

export type PresenceHttpHandler = PresenceRequestHandler;

export interface PresenceHttpOptions {
  /**
   * The bearer token of the admin routes (`Authorization: Bearer <token>`), at least 16
   * characters without spaces. Without it the admin routes answer 404 `admin_disabled`.
   */
  readonly adminToken?: string;
  /**
   * Serve only paths under this prefix, which is removed first: with `'/presence'`,
   * `/presence/readyz` is `/readyz`. For servers that pass the full path (node:http, Fastify,
   * Hono); Express's `app.use('/presence', handler)` removes its mount path itself.
   * @default none: paths from the root
   */
  readonly prefix?: string;
}

export interface PresenceHttpParts {
  readonly node: string;
  readonly isReady: () => boolean;
  readonly replicaCounts: () => { up: number; down: number };
  readonly metrics: PresenceMetrics;
  readonly readiness: () => Readiness;
  readonly deliver: Deliver;
  readonly counts: PresenceCounts;
  readonly query: QueryPresence;
  readonly logger: Logger;
}

export function presenceHttp(
  options: PresenceHttpOptions | undefined,
  parts: PresenceHttpParts,
): PresenceHttpHandler {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidOptionError('presence.http(options): options must be an object');
  }
  const adminToken = options?.adminToken;
  if (
    adminToken !== undefined &&
    (typeof adminToken !== 'string' ||
      adminToken.length < MIN_ADMIN_TOKEN_LENGTH ||
      /\s/.test(adminToken))
  ) {
    throw new InvalidOptionError(
      `presence.http: adminToken must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces; use a long random string, e.g. from openssl rand -hex 32`,
    );
  }
  return createHttpHandler({
    node: parts.node,
    isReady: parts.isReady,
    replicaCounts: parts.replicaCounts,
    metrics: parts.metrics,
    readiness: parts.readiness,
    routes: new Map([
      ...deliveryRoutes(parts.deliver),
      ...countRoutes(parts.counts),
      ...presenceQueryRoutes(parts.query),
    ]),
    adminToken,
    prefix: options?.prefix,
    logger: parts.logger,
  });
}
