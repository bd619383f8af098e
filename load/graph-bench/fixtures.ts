/**
 * Opens each adapter over a store holding one "hub" user per friend count (hub-100 has 100
 * friends, ...), and knows how to tear the store down again.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { HttpFriendsGraph } from '../../graph-adapters/http/index.js';
import { migrateFriendsGraph, PostgresFriendsGraph } from '../../graph-adapters/postgres/index.js';
import { RedisFriendsGraph } from '../../graph-adapters/redis/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';

export type EdgeList = Array<readonly [string, string]>;

export interface BenchSubject {
  graph: FriendsGraph;
  teardown(): Promise<void>;
}

export const hubId = (friends: number) => `hub-${friends}`;

export function hubEdges(friendCounts: readonly number[]): EdgeList {
  return friendCounts.flatMap((count) =>
    Array.from(
      { length: count },
      (_, index) => [hubId(count), `friend-${count}-${index}`] as const,
    ),
  );
}

export async function openGraphology(edges: EdgeList): Promise<BenchSubject> {
  const graph = new GraphologyFriendsGraph();
  for (const [source, target] of edges) await graph.addEdge(source, target);
  return { graph, teardown: () => graph.close() };
}

export async function openRedis(edges: EdgeList, url: string): Promise<BenchSubject> {
  const keyPrefix = `bench:${randomBytes(6).toString('hex')}:`;
  const graph = await RedisFriendsGraph.connect({ url, keyPrefix });
  await graph.addEdges(edges);
  return {
    graph,
    async teardown() {
      const { Redis } = await import('ioredis');
      const client = new Redis(url);
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.quit();
      await graph.close();
    },
  };
}

export async function openPostgres(
  edges: EdgeList,
  connectionString: string,
): Promise<BenchSubject> {
  const schema = `gp_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Pool({ connectionString, max: 1 });
  await migrateFriendsGraph(admin, schema);
  const graph = await PostgresFriendsGraph.connect({ connectionString, schema, maxConnections: 2 });
  await graph.addEdges(edges);
  await admin.query(`ANALYZE ${schema}.friendships`);
  return {
    graph,
    async teardown() {
      await graph.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** The app's API played by a local server over an in-memory graph; the adapter's cache is off. */
export async function openHttp(edges: EdgeList): Promise<BenchSubject> {
  const backing = await openGraphology(edges);
  const api = backing.graph as GraphologyFriendsGraph;
  const server: Server = createServer((request, response) => {
    const match = /^\/users\/([^/]+)\/visible$/.exec(request.url ?? '');
    const visible = match?.[1] ? api.visibleToNow(decodeURIComponent(match[1])) : [];
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ visible }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const graph = new HttpFriendsGraph({ baseUrl: `http://127.0.0.1:${port}`, cache: { ttlMs: 0 } });
  return {
    graph,
    async teardown() {
      await graph.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await backing.teardown();
    },
  };
}
