/**
 * The baseline of `npm run load -- baseline` (and `steady --baseline`, `connect --baseline`): what
 * a developer would write by hand with socket.io alone for the same friend-graph presence, to read
 * graph-presence's figures against. One process,
 * no replication, no tracker: each connection authenticates with the same JWT, joins the rooms
 * `user:<friend>` of its friends (and `user:<self>`: a user's other devices see it, as in
 * graph-presence), gets a `presence_state` of its friends' metas, and each `presence:update` is
 * one Phoenix-shaped `presence_diff` to `user:<self>` with `io.to(room).emit` (one encode, one
 * write per socket). The graph is the CSV file the driver wrote for the nodes (load/run.ts), so
 * both servers serve the very same graph.
 *
 *   node --import tsx load/baseline/baseline-server.ts --port 0 --graph <csv> --jwt-secret <s>
 *
 * Prints `listening on http://127.0.0.1:<port>` like a graph-presence node; serves /metrics
 * (prom-client default metrics, event-loop lag among them) and /healthz.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { jwtVerify } from 'jose';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { Server } from 'socket.io';
import type {
  PresenceDiff,
  PresenceMap,
  UpdateAck,
  WireMeta,
} from '../../src/domain/client-protocol.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    graph: { type: 'string' },
    'jwt-secret': { type: 'string' },
  },
});
const graphFile = values.graph;
const secret = values['jwt-secret'];
if (!graphFile || !secret) {
  process.stderr.write('baseline-server: --graph <csv> and --jwt-secret <secret> are required\n');
  process.exit(2);
}

const friends = new Map<string, string[]>();
function addFriend(a: string, b: string): void {
  let list = friends.get(a);
  if (!list) {
    list = [];
    friends.set(a, list);
  }
  list.push(b);
}
for (const line of readFileSync(graphFile, 'utf8').split('\n')) {
  const comma = line.indexOf(',');
  if (comma <= 0) continue;
  const a = line.slice(0, comma);
  const b = line.slice(comma + 1).trim();
  addFriend(a, b);
  addFriend(b, a);
}

/** Metas of each online user, by socket id. */
const presences = new Map<string, Map<string, WireMeta>>();
let refs = 0;
const nextRef = () => (refs++).toString(36);

const registry = new Registry();
collectDefaultMetrics({ register: registry });
new Gauge({
  name: 'presence_connections',
  help: 'Connected sockets',
  registers: [registry],
  collect() {
    this.set(io.of('/presence').sockets.size);
  },
});

const httpServer = createServer((req, res) => {
  if (req.url === '/metrics') {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(404);
  res.end();
});
const io = new Server(httpServer, { transports: ['websocket'] });
const key = new TextEncoder().encode(secret);
const nsp = io.of('/presence');

nsp.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  if (typeof token !== 'string') return next(new Error('unauthorized'));
  jwtVerify(token, key, { algorithms: ['HS256'] }).then(
    ({ payload }) => {
      socket.data.user = payload.sub;
      next();
    },
    () => next(new Error('unauthorized')),
  );
});

function diff(user: string, joins: WireMeta[], leaves: WireMeta[]): PresenceDiff {
  return {
    joins: joins.length === 0 ? {} : { [user]: { metas: joins } },
    leaves: leaves.length === 0 ? {} : { [user]: { metas: leaves } },
  };
}

nsp.on('connection', (socket) => {
  const user = socket.data.user as string;
  const auth = socket.handshake.auth as { status?: unknown; device?: unknown };
  let meta: WireMeta = {
    status: typeof auth.status === 'string' ? auth.status : 'online',
    online_at: Date.now(),
    ...(typeof auth.device === 'string' ? { device: auth.device } : {}),
    phx_ref: nextRef(),
  };
  const mine = friends.get(user) ?? [];
  socket.join([`user:${user}`, ...mine.map((f) => `user:${f}`)]);
  let own = presences.get(user);
  if (!own) {
    own = new Map();
    presences.set(user, own);
  }
  own.set(socket.id, meta);
  const state: PresenceMap = {};
  for (const u of [user, ...mine]) {
    const metas = presences.get(u);
    if (metas && metas.size > 0) state[u] = { metas: [...metas.values()] };
  }
  socket.emit('presence_state', state);
  nsp.to(`user:${user}`).emit('presence_diff', diff(user, [meta], []));

  socket.on('presence:update', (patch: unknown, ack?: (result: UpdateAck) => void) => {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      ack?.({
        ok: false,
        error: { code: 'invalid_patch', message: 'the patch must be a flat JSON object' },
      });
      return;
    }
    const old = meta;
    meta = { ...old, ...(patch as object), phx_ref: nextRef(), phx_ref_prev: old.phx_ref };
    own.set(socket.id, meta);
    nsp.to(`user:${user}`).emit('presence_diff', diff(user, [meta], [old]));
    ack?.({ ok: true });
  });

  socket.on('disconnect', () => {
    own.delete(socket.id);
    if (own.size === 0) presences.delete(user);
    nsp.to(`user:${user}`).emit('presence_diff', diff(user, [], [meta]));
  });
});

httpServer.listen(Number(values.port), values.host, () => {
  const { port } = httpServer.address() as AddressInfo;
  process.stdout.write(`baseline-server listening on http://${values.host}:${port}\n`);
});
const stop = () => {
  void io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
