/**
 * `/metrics` in Prometheus text: on the main port an admin route (its connection gauges, minus the
 * online ones, would reveal how many users are invisible), and alone, without auth, on the
 * separate `--metrics-listen` address meant for a private scrape network.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../ports/logger.js';
import { sendError } from './json-response.js';
import type { PresenceMetrics } from './metrics.js';
import type { RouteHandler } from './route.js';

export const METRICS_PATH = '/metrics';

/** What a scrape needs of the metrics. */
export type MetricsText = Pick<PresenceMetrics, 'render' | 'contentType'>;

export function renderMetrics(metrics: MetricsText): RouteHandler {
  return async (_req, res) => {
    const text = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
    res.end(text);
  };
}

/** The request listener of the metrics-only address: GET/HEAD /metrics, nothing else. */
export function createMetricsListener(metrics: MetricsText, logger: Logger): RequestListener {
  const render = renderMetrics(metrics);
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) {
      sendError(res, 404, 'not_found', `this address serves ${METRICS_PATH} only`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'method_not_allowed', `${METRICS_PATH} answers GET only`);
      return;
    }
    render(req, res, new URL(METRICS_PATH, 'http://localhost')).catch((err: unknown) => {
      logger.error({ err }, 'metrics scrape failed');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  };
}
