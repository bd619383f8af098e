/**
 * The driver's side of the client workers: forks them (each its own process and core budget),
 * hands each its share of the connections, sends commands and gathers their reports.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Connection } from '../social-graph/population.js';
import type {
  DriverMessage,
  WorkerFinal,
  WorkerInit,
  WorkerMessage,
  WorkerTick,
} from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface PoolOptions {
  readonly workers: number;
  readonly urls: readonly string[];
  readonly secret: string;
  readonly connections: readonly Connection[];
  readonly seed: number;
  readonly connectTimeoutMs: number;
  readonly client: WorkerInit['client'];
  /** Node flags of the workers (profiling). */
  readonly workerArgs: readonly string[];
  readonly reconnect: WorkerInit['reconnect'];
  readonly countReceipts: boolean;
  readonly watchNode?: number;
  readonly flap?: boolean;
  readonly onTick: (tick: WorkerTick) => void;
}

export class ClientPool {
  private readonly children: ChildProcess[] = [];
  private readonly waiters = new Map<string, { left: number; resolve: () => void }>();
  private readonly finals: WorkerFinal[] = [];

  private constructor(private readonly options: PoolOptions) {}

  static async start(options: PoolOptions): Promise<ClientPool> {
    const pool = new ClientPool(options);
    await pool.spawn();
    return pool;
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  private async spawn(): Promise<void> {
    const { options } = this;
    const ready = this.expect('ready');
    for (let index = 0; index < options.workers; index += 1) {
      const child = fork(WORKER, [], {
        execArgv: [...options.workerArgs, '--import', 'tsx', '--max-old-space-size=4096'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      child.on('message', (message: WorkerMessage) => this.onMessage(message));
      child.on('exit', (code, signal) => {
        if (code !== 0 && !this.closing) {
          process.stderr.write(`load: client worker ${index} exited (${code ?? signal})\n`);
        }
      });
      this.children.push(child);
      const killChild = () => child.kill('SIGKILL');
      process.once('exit', killChild);
      child.once('exit', () => process.off('exit', killChild));
      const init: WorkerInit = {
        kind: 'init',
        index,
        urls: options.urls,
        secret: options.secret,
        connections: options.connections
          .filter((c) => c.worker === index)
          .map(({ id, user, node }) => ({ id, user, node })),
        seed: options.seed,
        connectTimeoutMs: options.connectTimeoutMs,
        client: options.client,
        reconnect: options.reconnect,
        countReceipts: options.countReceipts,
        ...(options.watchNode === undefined ? {} : { watchNode: options.watchNode }),
        ...(options.flap === true ? { flap: true } : {}),
      };
      child.send(init);
    }
    await ready;
  }

  private closing = false;

  private onMessage(message: WorkerMessage): void {
    if (message.kind === 'tick') {
      this.options.onTick(message);
      return;
    }
    if (message.kind === 'final') this.finals[message.index] = message;
    const waiter = this.waiters.get(message.kind);
    if (waiter) {
      waiter.left -= 1;
      if (waiter.left === 0) {
        this.waiters.delete(message.kind);
        waiter.resolve();
      }
    }
  }

  /** Resolves once every worker has sent a message of this kind. */
  private expect(kind: WorkerMessage['kind']): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.set(kind, { left: this.options.workers, resolve });
    });
  }

  broadcast(message: DriverMessage): void {
    for (const child of this.children) child.send(message);
  }

  /** Sends each worker the message made from its own connection ids (skips empty ones). */
  sendEach(make: (ids: number[]) => DriverMessage): void {
    this.children.forEach((child, index) => {
      const ids = this.options.connections.filter((c) => c.worker === index).map((c) => c.id);
      child.send(make(ids));
    });
  }

  /** Connects every worker's connections (or `only` those), at `ratePerSec` in all. */
  async connect(
    ratePerSec: number,
    concurrency: number,
    only?: ReadonlySet<number>,
  ): Promise<void> {
    const done = this.expect('connectDone');
    const share = this.options.workers;
    this.sendEach((ids) => ({
      kind: 'connect',
      ids: only ? ids.filter((id) => only.has(id)) : ids,
      ratePerSec: ratePerSec / share,
      concurrency: Math.max(1, Math.ceil(concurrency / share)),
    }));
    await done;
  }

  /** Every worker has reported what it measured so far. */
  async flush(): Promise<void> {
    const done = this.expect('flushed');
    this.broadcast({ kind: 'flush' });
    await done;
  }

  async final(): Promise<WorkerFinal[]> {
    const done = this.expect('final');
    this.broadcast({ kind: 'final' });
    await done;
    return this.finals;
  }

  async close(): Promise<void> {
    this.closing = true;
    const exits = this.children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => once(c, 'exit'));
    for (const child of this.children) if (child.connected) child.send({ kind: 'close' });
    const timer = setTimeout(() => {
      for (const child of this.children) child.kill('SIGKILL');
    }, 10_000);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}
