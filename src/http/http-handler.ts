/**
 * The node's plain HTTP routes, next to socket.io on the same server (socket.io answers its own
 * `/socket.io/` paths before this handler sees them): `/healthz`, with --demo the demo routes,
 * and with an admin token the admin routes, `/metrics` among them. Unknown paths are 404 JSON. An
 * admin route checks the token first (401), so a caller without it learns nothing of the route's
 * methods; then a route answers its one method (GET routes HEAD too), others are 405.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
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
  readonly logger: Logger;
}

export function createHttpHandler(options: HttpHandlerOptions): RequestListener {
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
  routes.set(METRICS_PATH, adminRoute('GET', renderMetrics(options.metrics)));

  return (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendError(res, 400, 'bad_request', 'malformed request target');
      return;
    }
    const route = routes.get(url.pathname);
    if (!route) {
      sendError(res, 404, 'not_found', `no route ${url.pathname}`);
      return;
    }
    if (route.admin && !isAdmin) {
      const alone =
        url.pathname === METRICS_PATH ? ', or serve it alone with --metrics-listen' : '';
      sendError(
        res,
        404,
        'admin_disabled',
        `${url.pathname} is an admin route: start the node with --admin-token (or PRESENCE_ADMIN_TOKEN) to enable it${alone}`,
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
