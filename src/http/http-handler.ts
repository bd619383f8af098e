/**
 * The node's plain HTTP routes, next to socket.io on the same server (socket.io answers its own
 * `/socket.io/` paths before this handler sees them): `/healthz`, `/metrics`, and with --demo the
 * demo routes. Unknown paths are 404 JSON; only GET and HEAD are served.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../ports/logger.js';
import type { RouteHandler } from './demo-routes.js';
import { sendError, sendJson } from './json-response.js';
import type { PresenceMetrics } from './metrics.js';

export interface HttpHandlerOptions {
  readonly node: string;
  /** Ready to serve: the transport link is up and the node is not shutting down. */
  readonly isReady: () => boolean;
  readonly replicaCounts: () => { up: number; down: number };
  readonly metrics: PresenceMetrics;
  /** Extra routes by exact path (the demo's). */
  readonly routes?: ReadonlyMap<string, RouteHandler>;
  readonly logger: Logger;
}

export function createHttpHandler(options: HttpHandlerOptions): RequestListener {
  const routes = new Map<string, RouteHandler>(options.routes);
  routes.set('/healthz', async (_req, res) => {
    const ready = options.isReady();
    sendJson(res, ready ? 200 : 503, {
      status: ready ? 'ok' : 'unavailable',
      node: options.node,
      replicas: options.replicaCounts(),
    });
  });
  routes.set('/metrics', async (_req, res) => {
    const text = await options.metrics.render();
    res.writeHead(200, {
      'content-type': options.metrics.contentType,
      'cache-control': 'no-store',
    });
    res.end(text);
  });

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
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'method_not_allowed', `${url.pathname} answers GET only`);
      return;
    }
    route(req, res, url).catch((err: unknown) => {
      options.logger.error({ err, path: url.pathname }, 'http route failed');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  };
}
