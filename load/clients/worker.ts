/**
 * A client worker process (forked by the driver): opens its share of the connections (socket.io
 * spoken over raw websockets, load/clients/wire.ts, so the generator costs far less CPU than the
 * servers it measures) and plays the scenario's client side on command. It measures at the
 * receivers and reports every second (tick) and once at the end (final). The state lives in three
 * objects: Connections (the sockets), Workloads (what they do) and Measurements (what is seen);
 * ClientWorker only routes the driver's commands to them.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seededRandom } from '../social-graph/seeded-random.js';
import { Connections } from './connections.js';
import { Measurements } from './measurements.js';
import type { DriverMessage, WorkerInit, WorkerMessage } from './protocol.js';
import { Workloads } from './workloads.js';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

class ClientWorker {
  private readonly measure: Measurements;
  private readonly connections: Connections;
  private readonly workloads: Workloads;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(private readonly init: WorkerInit) {
    const random = seededRandom(init.seed * 7919 + init.index);
    this.measure = new Measurements({
      countReceipts: init.countReceipts,
      watchNode: init.watchNode,
      flap: init.flap === true,
    });
    this.connections = new Connections(init, this.measure, random);
    this.workloads = new Workloads(this.connections, this.measure, random);
    this.loopDelay.enable();
    setInterval(() => this.tick(), 1000).unref();
  }

  handle(message: Exclude<DriverMessage, { kind: 'init' }>): void {
    const { init, measure, connections, workloads } = this;
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
      case 'killed':
        measure.killed();
        break;
      case 'flush':
        this.tick();
        send({ kind: 'flushed', index: init.index });
        break;
      case 'final':
        this.tick();
        send(measure.final(init.index, connections.connectedIds()));
        break;
      case 'close':
        workloads.stopAll();
        for (const client of connections.clients.values()) connections.close(client);
        setTimeout(() => process.exit(0), 200);
        break;
    }
  }

  private tick(): void {
    const { measure, connections, init, loopDelay } = this;
    if (loopDelay.count > 0) {
      measure.hist('workerLoopLag').record(loopDelay.percentile(99) / 1e6);
      loopDelay.reset();
    }
    let connected = 0;
    for (const client of connections.clients.values()) if (client.up) connected += 1;
    send({ kind: 'tick', index: init.index, connected, ...measure.takeTick() });
  }
}

let worker: ClientWorker | undefined;

process.on('message', (message: DriverMessage) => {
  if (message.kind === 'init') {
    worker = new ClientWorker(message);
    send({ kind: 'ready', index: message.index });
    return;
  }
  worker?.handle(message);
});
process.on('disconnect', () => process.exit(0));
