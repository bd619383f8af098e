/**
 * The node's plain HTTP routes, next to socket.io on the same server (socket.io answers its own
 * `/socket.io/` paths before this handler sees them): `/healthz`, `/readyz` (with a readiness),
 * with --demo the demo routes, and with an admin token the admin routes, `/metrics` among them.
 * Unknown paths are 404 JSON, or go to `next` when the caller passes one (Express/Connect style),
 * so the handler mounts in front of an app's own routes. With a `prefix` only paths under it are
 * served, the prefix removed. An admin route checks the token first (401), so a caller without it
 * learns nothing of the route's methods; then a route answers its one method (GET routes HEAD
 * too), others are 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../ports/logger.js';
import { adminTokenChecker } from './admin-token.js';
import { sendError, sendJson } from './json-response.js';
import type { PresenceMetrics } from './metrics.js';
import { METRICS_PATH, renderMetrics } from './metrics-listener.js';
import { HttpError } from './read-json-body.js';
import { adminRoute, getRoute, type Route } from './route.js';

export interface HttpHandlerOptions {
  readonly node: string;
  /** Ready to serve: the transport link is up and the node is not shutting down. */
  readonly isReady: () => boolean;
  readonly replicaCounts: () => { up: number; down: number };
  readonly metrics: PresenceMetrics;
  /** Extra routes by exact path (the demo's, the admin ones). */
  readonly routes?: ReadonlyMap<string, Route>;
  /** The admin routes' bearer token; without it admin routes answer 404. */
  readonly adminToken?: string;
  /** `/readyz`: served when given (200 ready, else 503 with the reasons). */
  readonly readiness?: () => { readonly ready: boolean; readonly reasons: readonly unknown[] };
  /** Serve only paths under this prefix (e.g. `/presence`), with it removed. @default none */
  readonly prefix?: string;
  readonly logger: Logger;
}

/**
 * A node:http request listener that also takes Express/Connect's `next`: called (with no
 * argument) for a path it does not serve, instead of answering 404.
 */
export type PresenceRequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

export function createHttpHandler(options: HttpHandlerOptions): PresenceRequestHandler {
  const routes = new Map<string, Route>(options.routes);
  const isAdmin =
    options.adminToken === undefined ? undefined : adminTokenChecker(options.adminToken);
  routes.set(
    '/healthz',
    getRoute(async (req, res) => {
      const ready = options.isReady();
      sendJson(res, ready ? 200 : 503, {
        status: ready ? 'ok' : 'unavailable',
        // The node name is the host name and pid by default: only the admin sees it.
        ...(isAdmin?.(req) ? { node: options.node } : {}),
        replicas: options.replicaCounts(),
      });
    }),
  );
  const { readiness } = options;
  if (readiness) {
    routes.set(
      READINESS_PATH,
      getRoute(async (_req, res) => {
        const { ready, reasons } = readiness();
        sendJson(res, ready ? 200 : 503, { ready, reasons });
      }),
    );
  }
  routes.set(METRICS_PATH, adminRoute('GET', renderMetrics(options.metrics)));
  return createRoutesHandler(routes, options);
}

/**
 * Serves `routes` by exact path (under `prefix`), nothing else: unknown paths go to `next`, else
 * 404. The CLI puts one with the demo routes in front of the node's handler.
 */
export function createRoutesHandler(
  routes: ReadonlyMap<string, Route>,
  options: Pick<HttpHandlerOptions, 'adminToken' | 'prefix' | 'logger'>,
): PresenceRequestHandler {
  const prefix = checkPrefix(options.prefix);
  const isAdmin =
    options.adminToken === undefined ? undefined : adminTokenChecker(options.adminToken);

  return (req, res, next) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      if (next) next();
      else sendError(res, 400, 'bad_request', 'malformed request target');
      return;
    }
    const path = withoutPrefix(url.pathname, prefix);
    const route = path === undefined ? undefined : routes.get(path);
    if (!route || path === undefined) {
      if (next) next();
      else sendError(res, 404, 'not_found', `no route ${url.pathname}`);
      return;
    }
    url.pathname = path;
    if (route.admin && !isAdmin) {
      const alone =
        url.pathname === METRICS_PATH
          ? ', or serve it alone with --metrics-listen (a library reads presence.metrics)'
          : '';
      sendError(
        res,
        404,
        'admin_disabled',
        `${url.pathname} is an admin route: start the node with --admin-token (or PRESENCE_ADMIN_TOKEN), or give presence.http() an adminToken, to enable it${alone}`,
      );
      return;
    }
    if (route.admin && !isAdmin?.(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      sendError(
        res,
        401,
        'unauthorized',
        `${url.pathname} needs the admin token: send Authorization: Bearer <admin token>`,
      );
      return;
    }
    const method = req.method === 'HEAD' && route.method === 'GET' ? 'GET' : req.method;
    if (method !== route.method) {
      res.setHeader('allow', route.method === 'GET' ? 'GET, HEAD' : route.method);
      sendError(res, 405, 'method_not_allowed', `${url.pathname} answers ${route.method} only`);
      return;
    }
    route.handler(req, res, url).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendError(res, err.status, err.code, err.message);
        return;
      }
      options.logger.error({ err, path: url.pathname }, 'http route failed');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  };
}

export const READINESS_PATH = '/readyz';

function checkPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  if (typeof prefix !== 'string' || !/^\/[^?#]*[^/?#]$/.test(prefix)) {
    throw new InvalidOptionError(
      `http prefix must be a path such as "/presence" (a leading slash, no trailing one), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** The path below `prefix`, or undefined when the path is not under it. */
function withoutPrefix(pathname: string, prefix: string): string | undefined {
  if (prefix === '') return pathname;
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  return rest.startsWith('/') ? rest : undefined;
}
