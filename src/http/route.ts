/**
 * An HTTP route of the node: a handler for one method on one exact path. Admin routes need the
 * node's admin token (`Authorization: Bearer <token>`) and exist only when one is configured.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly handler: RouteHandler;
  /** Only callers presenting the admin token may use it. */
  readonly admin?: boolean;
}

/** A public GET route (HEAD is answered too). */
export const getRoute = (handler: RouteHandler): Route => ({ method: 'GET', handler });

/** An admin route: the admin token is checked before `handler` runs. */
export const adminRoute = (method: Route['method'], handler: RouteHandler): Route => ({
  method,
  handler,
  admin: true,
});
