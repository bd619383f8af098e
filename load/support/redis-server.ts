/**
 * A real `redis-server` process for integration tests and load runs, on a free loopback port,
 * with no persistence. It can be stopped and started again on the same port to play a Redis outage.
 *
 * Every process started here is killed when the test process exits, even after a failed test;
 * still call dispose() in afterAll so the next test file starts clean.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  isRunning(): boolean;
  /** Starts the server again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGTERM (or the given signal), then SIGKILL if it has not exited in time; resolves on exit. */
  stop(options?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Stops the server if running. Idempotent. */
  dispose(): Promise<void>;
}

export interface RedisServerOptions {
  /** @default '/usr/bin/redis-server' */
  binary?: string;
  /** How long to wait for PING after a start. @default 10000 */
  startTimeoutMs?: number;
  /** More redis-server arguments, e.g. `['--replicaof', '127.0.0.1', '6379']`. */
  extraArgs?: readonly string[];
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
const OUTPUT_KEPT_CHARS = 4_000;

const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts redis-server on a free port; retries with another port if one is taken in a race. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? '/usr/bin/redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const server = new RedisServerProcess(
      binary,
      await findFreePort(),
      startTimeoutMs,
      options.extraArgs ?? [],
    );
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
      await server.dispose();
    }
  }
  throw new Error('startRedisServer: could not start redis-server', { cause: lastError });
}

class RedisServerProcess implements RedisServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly startTimeoutMs: number,
    private readonly extraArgs: readonly string[],
  ) {
    this.url = `redis://${HOST}:${port}`;
  }

  isRunning(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`redis-server on port ${this.port} is already running`);
    await waitUntilPortIsFree(this.port, this.startTimeoutMs);
    installExitHook();
    const args = ['--port', String(this.port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
    args.push('--daemonize', 'no', '--loglevel', 'warning', ...this.extraArgs);
    const child = spawn(this.binary, args, { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    liveProcesses.add(child);
    // Pipes must be drained or a chatty server blocks; keep the tail for error messages.
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const forget = () => {
      liveProcesses.delete(child);
      if (this.child === child) this.child = undefined;
    };
    child.once('exit', forget);
    // A binary that cannot be spawned reports 'error' (and maybe no 'exit').
    child.once('error', (err) => {
      keep(Buffer.from(String(err)));
      forget();
    });
    const deadline = Date.now() + this.startTimeoutMs;
    while (!(await answersPing(this.port))) {
      if (this.child !== child) {
        throw new Error(`redis-server exited during start on port ${this.port}:\n${this.output}`);
      }
      if (Date.now() > deadline) {
        await this.stop({ signal: 'SIGKILL' });
        throw new Error(`redis-server did not answer PING on port ${this.port}:\n${this.output}`);
      }
      await sleep(20);
    }
  }

  async stop(options: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : once(child, 'exit');
    child.kill(options.signal ?? 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    liveProcesses.delete(child);
    if (this.child === child) this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a kill is, and it is all that is needed.
  process.once('exit', () => {
    for (const child of liveProcesses) child.kill('SIGKILL');
  });
}

export async function findFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('findFreePort: no port');
  return address.port;
}

async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

async function waitUntilPortIsFree(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isPortFree(port))) {
    if (Date.now() > deadline) throw new Error(`port ${port} on ${HOST} is still in use`);
    await sleep(50);
  }
}

/** One inline PING over a raw socket: no client library, no retries, no state left behind. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: HOST });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
