/**
 * Gateway quick measure (the load scenarios issue does the full study): two real `graph-presence`
 * nodes over a local redis-server, a generated friend graph, real socket.io clients in this
 * process. Prints a table and writes load/results/gateway.json:
 * - connections per second accepted by one node (until each client has its presence_state);
 * - memory per idle connection on that node (RSS and heap from /metrics, before and after);
 * - fan-out latency p50/p99 from a status update to its friends' sockets, same node and cross node.
 *
 *   npm run bench:gateway [-- --users 2000 --degree 20 --updates 500]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as generators from 'graphology-generators';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { Graph } from '../graph-adapters/graphology/index.js';
import type { PresenceDiff } from '../src/domain/client-protocol.js';
import { spawnNode } from './cluster/node-process.js';
import { printTable, resultsPath, round } from './report.js';
import { startRedisServer } from './support/redis-server.js';
import { waitFor } from './support/wait-for.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    degree: { type: 'string', default: '20' },
    updates: { type: 'string', default: '500' },
  },
});
const USERS = Number(values.users);
const DEGREE = Number(values.degree);
const UPDATES = Number(values.updates);
const SECRET = 'bench-secret-of-at-least-32-bytes-long';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const BROADCAST_MS = 50;

// The package's ESM build exports namespaces (`random.erdosRenyi`), unlike its type declarations.
const { erdosRenyi } = (generators as unknown as { random: typeof generators }).random;
const graph = erdosRenyi.sparse(Graph, { order: USERS, probability: DEGREE / USERS });
const csv = graph
  .mapEdges((_e: string, _a: unknown, source: string, target: string) => `u${source},u${target}`)
  .join('\n');
const graphFile = join(tmpdir(), `gateway-bench-${process.pid}.csv`);
writeFileSync(graphFile, `${csv}\n`);
const friends = (i: number) => graph.neighbors(String(i)).map(Number);

const redis = await startRedisServer();
const nodeArgs = (name: string) => [
  ...['--port', '0', '--node-name', name, '--redis', redis.url, '--jwt-secret', SECRET],
  ...['--cluster-secret', 'gateway-bench-cluster-secret-of-32-bytes'],
  ...['--graph', `graphology:${graphFile}`, '--broadcast-period-ms', String(BROADCAST_MS)],
  ...['--admin-token', ADMIN_TOKEN],
];
const nodes = [
  spawnNode(nodeArgs('gw-a'), { LOG_LEVEL: 'warn' }, []),
  spawnNode(nodeArgs('gw-b'), { LOG_LEVEL: 'warn' }, []),
];
const sockets: Socket[] = [];

async function metric(url: string, name: string): Promise<number> {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

try {
  await waitFor(() => nodes.every((n) => n.url() !== undefined), { timeoutMs: 60_000 });
  const urls = nodes.map((n) => n.url()!);
  const tokens = await Promise.all(
    Array.from({ length: USERS }, (_, i) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`u${i}`)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)),
    ),
  );

  // ── connect: every user once, even users on node A, odd on node B ──────────────────────────
  const rssBefore = await metric(urls[0]!, 'process_resident_memory_bytes');
  const heapBefore = await metric(urls[0]!, 'nodejs_heap_size_used_bytes');
  const statusOf = new Map<number, (status: string) => void>();
  const latencies = { same: [] as number[], cross: [] as number[] };
  const sentAt = new Map<string, { at: number; node: number }>();
  let ready = 0;
  const connectStart = performance.now();
  const connect = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const node = i % 2;
      const socket = io(`${urls[node]}/presence`, {
        auth: { token: tokens[i], device: 'bench' },
        transports: ['websocket'],
      });
      sockets.push(socket);
      socket.on('presence_state', () => {
        ready++;
        resolve();
      });
      socket.on('connect_error', reject);
      socket.on('presence_diff', (diff: PresenceDiff) => {
        const now = performance.now();
        for (const presence of Object.values(diff.joins)) {
          for (const meta of presence.metas) {
            const sent = sentAt.get(meta.status);
            if (sent) (sent.node === node ? latencies.same : latencies.cross).push(now - sent.at);
          }
        }
      });
      statusOf.set(i, (status) => socket.emit('presence:update', { status }, () => {}));
    });
  // Node A's rate: connect its users (even ids) first, 200 at a time.
  const evens = Array.from({ length: USERS }, (_, i) => i).filter((i) => i % 2 === 0);
  for (let k = 0; k < evens.length; k += 200)
    await Promise.all(evens.slice(k, k + 200).map(connect));
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const connectionsPerSec = evens.length / connectSeconds;
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = await metric(urls[0]!, 'process_resident_memory_bytes');
  const heapAfter = await metric(urls[0]!, 'nodejs_heap_size_used_bytes');
  const odds = Array.from({ length: USERS }, (_, i) => i).filter((i) => i % 2 === 1);
  for (let k = 0; k < odds.length; k += 200) await Promise.all(odds.slice(k, k + 200).map(connect));
  await waitFor(() => ready === USERS, { timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 1000)); // let joins from the other node settle

  // ── fan-out: status updates at ~100/s from random users with friends ───────────────────────
  let expected = 0;
  for (let u = 0; u < UPDATES; u++) {
    const i = Math.floor(Math.random() * USERS);
    const status = `s${u}`;
    sentAt.set(status, { at: performance.now(), node: i % 2 });
    expected += friends(i).length;
    statusOf.get(i)!(status);
    await new Promise((r) => setTimeout(r, 10));
  }
  await waitFor(() => latencies.same.length + latencies.cross.length >= expected, {
    timeoutMs: 30_000,
  }).catch(() => {});
  const same = latencies.same.sort((a, b) => a - b);
  const cross = latencies.cross.sort((a, b) => a - b);

  const results = {
    benchmark: 'gateway',
    date: new Date().toISOString(),
    users: USERS,
    meanDegree: round((2 * graph.size) / USERS, 1),
    broadcastPeriodMs: BROADCAST_MS,
    connectionsPerSec: Math.round(connectionsPerSec),
    bytesPerIdleConnection: {
      rss: Math.round((rssAfter - rssBefore) / evens.length),
      heap: Math.round((heapAfter - heapBefore) / evens.length),
    },
    fanOut: {
      updates: UPDATES,
      deliveriesExpected: expected,
      deliveries: same.length + cross.length,
      sameNodeP50Ms: round(percentile(same, 0.5), 2),
      sameNodeP99Ms: round(percentile(same, 0.99), 2),
      crossNodeP50Ms: round(percentile(cross, 0.5), 2),
      crossNodeP99Ms: round(percentile(cross, 0.99), 2),
    },
  };
  printTable(
    `gateway, ${USERS} users (mean degree ${results.meanDegree}), 2 nodes, broadcast ${BROADCAST_MS} ms`,
    [
      ['connections accepted by one node', `${results.connectionsPerSec} /s`, ''],
      [
        'memory per idle connection (RSS / heap)',
        `${results.bytesPerIdleConnection.rss} / ${results.bytesPerIdleConnection.heap} bytes`,
        '',
      ],
      [
        'fan-out same node p50 / p99',
        `${results.fanOut.sameNodeP50Ms} / ${results.fanOut.sameNodeP99Ms} ms`,
        '',
      ],
      [
        'fan-out cross node p50 / p99',
        `${results.fanOut.crossNodeP50Ms} / ${results.fanOut.crossNodeP99Ms} ms`,
        `(includes the ${BROADCAST_MS} ms broadcast)`,
      ],
      ['deliveries received / expected', `${results.fanOut.deliveries} / ${expected}`, ''],
    ],
  );
  writeFileSync(resultsPath('gateway.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  for (const socket of sockets) socket.disconnect();
  for (const node of nodes) node.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
  await redis.dispose();
}
