/**
 * `npm run bench:client-wire`: what one received message costs a load worker, per client
 * implementation, in isolation (no graph-presence, no other worker): a plain socket.io server
 * process sends `presence_diff`-shaped events round robin to N connections at R messages/s in
 * all, and this process receives them with load/clients/wire.ts (raw websockets) or
 * load/clients/socketio-wire.ts (socket.io-client), measuring its own CPU (user + system) per
 * message. Full load runs share the cores with the servers; this figure does not.
 *
 *   npm run bench:client-wire -- [--connections 600] [--rate 5000] [--seconds 8] [--rounds 2]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';
import { SocketIoWire } from './clients/socketio-wire.js';
import { type ClientWire, type WireHandlers, WireSocket } from './clients/wire.js';
import { printTable } from './report.js';

const { values } = parseArgs({
  options: {
    server: { type: 'boolean' },
    connections: { type: 'string', default: '600' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
  },
});
const connections = Number(values.connections);
const rate = Number(values.rate);

/** The sending side, in its own process: round robin over the connected sockets. */
function serve(): void {
  const http = createServer();
  const nsp = new Server(http, { transports: ['websocket'] }).of('/presence');
  nsp.on('connection', (socket) => socket.emit('presence_state', {}));
  http.listen(0, '127.0.0.1', () => process.send?.((http.address() as AddressInfo).port));
  let q = 0;
  let started: number | undefined;
  setInterval(() => {
    const sockets = [...nsp.sockets.values()];
    if (sockets.length < connections) return;
    started ??= performance.now();
    const due = Math.floor(((performance.now() - started) / 1000) * rate) - q;
    for (let k = 0; k < due; k += 1) {
      const user = `u${q % 500}`;
      const meta = { status: 's', online_at: 1_764_641_234_567, device: `${q % 500}.0.1` };
      const ref = `F1abc${q}`;
      const prev = `F1abc${q - 1}`;
      sockets[q % sockets.length]!.emit('presence_diff', {
        joins: {
          [user]: {
            metas: [{ ...meta, t: Date.now() + 0.123, q, phx_ref: ref, phx_ref_prev: prev }],
          },
        },
        leaves: { [user]: { metas: [{ ...meta, phx_ref: prev }] } },
      });
      q += 1;
    }
  }, 10);
}

async function measure(kind: 'raw' | 'socket.io', port: number, seconds: number) {
  let received = 0;
  let up = 0;
  const handlers: WireHandlers = {
    onConnect: () => {},
    onConnectError: () => {},
    onClose: () => {},
    onEvent: (name) => {
      if (name === 'presence_diff') received += 1;
      else up += 1;
    },
  };
  const url = `http://127.0.0.1:${port}`;
  const sockets: ClientWire[] = [];
  for (let i = 0; i < connections; i += 1) {
    sockets.push(
      kind === 'raw'
        ? new WireSocket(url, '/presence', {}, handlers)
        : new SocketIoWire(url, '/presence', {}, handlers, 10_000),
    );
  }
  while (up < connections) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 2_000));
  received = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - t0) / 1000;
  for (const s of sockets) s.close();
  await new Promise((r) => setTimeout(r, 500));
  return {
    kind,
    messagesPerSecond: Math.round(received / wall),
    userMicros: Math.round((used.user / received) * 10) / 10,
    systemMicros: Math.round((used.system / received) * 10) / 10,
    cores: Math.round(((used.user + used.system) / 1e6 / wall) * 100) / 100,
  };
}

if (values.server) serve();
else {
  const rows: string[][] = [];
  for (let round = 0; round < Number(values.rounds); round += 1) {
    for (const kind of ['socket.io', 'raw'] as const) {
      const server = fork(
        new URL(import.meta.url).pathname,
        ['--server', ...process.argv.slice(2)],
        {
          execArgv: ['--import', 'tsx'],
        },
      );
      const [port] = (await once(server, 'message')) as [number];
      const r = await measure(kind, port, Number(values.seconds));
      server.kill();
      rows.push([
        `${kind} (round ${round + 1})`,
        `${(r.userMicros + r.systemMicros).toFixed(1)} µs (user ${r.userMicros} + system ${r.systemMicros}) · ${r.messagesPerSecond} msgs/s · ${r.cores} cores`,
        '',
      ]);
    }
  }
  printTable(
    `client CPU per received presence_diff: ${connections} connections, ${rate} messages/s, one plain socket.io server process`,
    rows,
  );
  process.exit(0);
}
