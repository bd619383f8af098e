/**
 * A client worker process (forked by the driver): opens its share of the connections (socket.io
 * spoken over raw websockets, load/clients/wire.ts, so the generator costs far less CPU than the
 * servers it measures) and plays the scenario's client side on command. It measures at the
 * receivers and reports every second (tick) and once at the end (final).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seededRandom } from '../social-graph/seeded-random.js';
import { Connections } from './connections.js';
import { Measurements } from './measurements.js';
import type { DriverMessage, WorkerInit, WorkerMessage } from './protocol.js';
import { Workloads } from './workloads.js';

interface Worker {
  readonly init: WorkerInit;
  readonly measure: Measurements;
  readonly connections: Connections;
  readonly workloads: Workloads;
}

let worker: Worker | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function start(init: WorkerInit): Worker {
  const random = seededRandom(init.seed * 7919 + init.index);
  const measure = new Measurements({
    countReceipts: init.countReceipts,
    watchNode: init.watchNode,
    flap: init.flap === true,
  });
  const connections = new Connections(init, measure, random);
  const workloads = new Workloads(connections, measure, random);
  loopDelay.enable();
  setInterval(() => tick(), 1000).unref();
  return { init, measure, connections, workloads };
}

function tick(): void {
  if (!worker) return;
  const { measure, connections, init } = worker;
  if (loopDelay.count > 0) {
    measure.hist('workerLoopLag').record(loopDelay.percentile(99) / 1e6);
    loopDelay.reset();
  }
  let connected = 0;
  for (const client of connections.clients.values()) if (client.up) connected += 1;
  send({ kind: 'tick', index: init.index, connected, ...measure.takeTick() });
}

process.on('message', (message: DriverMessage) => {
  if (message.kind === 'init') {
    worker = start(message);
    send({ kind: 'ready', index: message.index });
    return;
  }
  if (!worker) return;
  const { init, measure, connections, workloads } = worker;
  switch (message.kind) {
    case 'connect':
      void workloads
        .connect(
          message.ids ?? [...connections.clients.keys()],
          message.ratePerSec,
          message.concurrency,
        )
        .then(() => send({ kind: 'connectDone', index: init.index }));
      break;
    case 'updates':
      workloads.startUpdates(message.ratePerSec);
      break;
    case 'stopUpdates':
      workloads.stopUpdates();
      break;
    case 'churn':
      workloads.startChurn(message.ids, message.meanLifetimeMs);
      break;
    case 'stopChurn':
      workloads.stopChurn();
      break;
    case 'moves':
      workloads.startMoves(message.ratePerSec, message.awayMs);
      break;
    case 'stopMoves':
      workloads.stopMoves();
      break;
    case 'flaps':
      workloads.startFlaps(message.ratePerSec, message.awayMs);
      break;
    case 'stopFlaps':
      workloads.stopFlaps();
      break;
    case 'flush':
      tick();
      send({ kind: 'flushed', index: init.index });
      break;
    case 'final':
      tick();
      send(measure.final(init.index, connections.connectedIds()));
      break;
    case 'close':
      workloads.stopAll();
      for (const client of connections.clients.values()) connections.close(client);
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
