/**
 * A real presence server for gateway tests: createPresenceServer on an HTTP server listening on
 * 127.0.0.1 port 0, a graphology friends graph, an HS256 secret, and helpers to mint tokens.
 */
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { GraphologyFriendsGraph } from '../../../graph-adapters/graphology/index.js';
import type { FriendsGraph } from '../../../src/ports/friends-graph.js';
import {
  createPresenceServer,
  type PresenceServer,
  type PresenceServerOptions,
} from '../../../src/server/create-presence-server.js';

export const SECRET = 'test-secret-of-at-least-32-bytes!!';

export interface TestServer {
  readonly url: string;
  readonly server: PresenceServer;
  readonly graph: GraphologyFriendsGraph;
  close(): Promise<void>;
}

export async function startTestServer(
  options: Partial<PresenceServerOptions> & {
    graph?: FriendsGraph;
    /** Wraps the test's graphology graph (to slow it down, make it fail...). */
    wrapGraph?: (graph: GraphologyFriendsGraph) => FriendsGraph;
  } = {},
): Promise<TestServer> {
  const graph = new GraphologyFriendsGraph();
  const { wrapGraph, ...rest } = options;
  const server = createPresenceServer({
    jwtSecret: options.authenticate ? undefined : SECRET,
    ...rest,
    graph: options.graph ?? wrapGraph?.(graph) ?? graph,
  });
  const http = server.httpServer!;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    graph,
    async close() {
      await server.close();
      await graph.close();
    },
  };
}

/** A token for `user`, valid for an hour unless `expiresAt` (seconds since epoch) says otherwise. */
export async function tokenFor(
  user: string,
  options: { expiresAt?: number; secret?: string } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}
