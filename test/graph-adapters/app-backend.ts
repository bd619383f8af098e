/**
 * A stand-in for an app's own backend, on a real node:http server (port 0): serves
 * `GET /users/<id>/visible` from a graphology graph and, after each write, calls the signed
 * change webhook of every registered node, in order, in batches.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { signWebhookBody } from '../../graph-adapters/http/index.js';
import type { FriendsGraphChange } from '../../src/ports/friends-graph.js';

export const WEBHOOK_SECRET = 'test-webhook-secret';
const BATCH = 1000;

export interface AppBackend {
  readonly baseUrl: string;
  readonly graph: GraphologyFriendsGraph;
  /** Requests served per path, to observe caching. */
  readonly hits: Map<string, number>;
  /** Serve this status/body instead of the graph for the next requests (null: back to normal). */
  override: { status: number; body: string } | null;
  /** Starts a server for a node's webhook handler and calls it after every write. */
  registerWebhook(handler: RequestListener): Promise<void>;
  /** Sends the changes pending since the last flush to every webhook; resolves when all answered. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startAppBackend(): Promise<AppBackend> {
  const graph = new GraphologyFriendsGraph();
  const pending: FriendsGraphChange[] = [];
  graph.subscribe((change) => pending.push(change));
  const webhookServers: Server[] = [];
  const webhookUrls: string[] = [];
  const hits = new Map<string, number>();
  let deliveries = 0;

  const backend: AppBackend = {
    baseUrl: '',
    graph,
    hits,
    override: null,
    async registerWebhook(handler) {
      const server = await listen(createServer(handler));
      webhookServers.push(server);
      webhookUrls.push(`${urlOf(server)}/graph-webhook`);
    },
    async flush() {
      const changes = pending.splice(0);
      for (let start = 0; start < changes.length; start += BATCH) {
        // A delivery id keeps two identical batches in one second apart (no replay refusal).
        const id = `delivery-${++deliveries}`;
        const body = JSON.stringify({ id, changes: changes.slice(start, start + BATCH) });
        for (const url of webhookUrls) {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'x-graph-presence-signature': signWebhookBody(WEBHOOK_SECRET, body) },
            body,
          });
          await response.body?.cancel();
        }
      }
    },
    async close() {
      await graph.close();
      for (const server of [api, ...webhookServers]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };

  const api = await listen(
    createServer((request, response) => {
      const path = request.url ?? '';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      if (backend.override) {
        response.writeHead(backend.override.status).end(backend.override.body);
        return;
      }
      const match = /^\/users\/([^/]+)\/visible$/.exec(path);
      const visible = match?.[1] ? graph.visibleToNow(decodeURIComponent(match[1])) : [];
      // A user with no edges is unknown to the graph: answer 404, as real backends often do.
      if (visible.length === 0) response.writeHead(404).end();
      else respondVisible(response, visible);
    }),
  );
  return Object.assign(backend, { baseUrl: urlOf(api) });
}

function respondVisible(response: Parameters<RequestListener>[1], visible: string[]): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ visible }));
}

async function listen(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
