/**
 * A cluster of real replica processes (load/support/replica-process.ts) for integration tests
 * and benchmarks: spawns them, talks to them by request/response over JSON lines, records every
 * event they report, and plays faults on them (SIGKILL, SIGSTOP/SIGCONT, SIGTERM, restart).
 *
 * Every child is SIGKILLed by dispose(), and by a process 'exit' hook if the test process ends
 * without it (a failed test, a crash): no replica outlives its test run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PROGRAM = fileURLToPath(new URL('./replica-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STDERR_KEPT_CHARS = 8_000;

export interface ReplicaClusterOptions {
  readonly redisUrl: string;
  /** Channel prefix of this cluster's replication network. @default a random one */
  readonly prefix?: string;
  readonly broadcastPeriodMs: number;
  readonly downPeriodMs: number;
  readonly permdownPeriodMs: number;
  /** Which diff events the processes report on stdout. @default 'all' */
  readonly diffEvents?: 'all' | 'remote' | 'none';
  /** Extra node flags (e.g. `--max-old-space-size=4096`). */
  readonly nodeFlags?: readonly string[];
  /** Forward the children's stderr to ours (else only kept for error messages). */
  readonly echoStderr?: boolean;
  /** How long to wait for a process's `ready`. @default 30000 */
  readonly readyTimeoutMs?: number;
  /** The node bus's cluster secret; null: frames unsigned. @default a fixed test secret */
  readonly clusterSecret?: string | null;
}

/** The secret replica processes share unless told otherwise: clusters run as in production. */
export const REPLICA_CLUSTER_SECRET = 'replica-cluster-secret-of-32-bytes!!';

/** An event line a replica process wrote, with the time our side read it. */
export interface ReplicaProcessEvent {
  readonly event: 'loaded' | 'ready' | 'diff' | 'replica' | 'link';
  readonly at: number;
  readonly [field: string]: unknown;
}

export interface DiffEvent extends ReplicaProcessEvent {
  readonly event: 'diff';
  readonly joins: number;
  readonly leaves: number;
  /** Counts by replica key `name#vsn`. */
  readonly joinsBy: Record<string, number>;
  readonly leavesBy: Record<string, number>;
}

export interface ReplicaEventLine extends ReplicaProcessEvent {
  readonly event: 'replica';
  readonly type: 'up' | 'down' | 'permdown';
  readonly name: string;
  readonly vsn: number;
}

export type Reply = Record<string, unknown> & { ok?: boolean };

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** The name part of a replica key `name#vsn`. */
export function nameOfKey(key: string): string {
  return key.slice(0, key.lastIndexOf('#'));
}

export class ReplicaNode {
  readonly events: ReplicaProcessEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  vsn: number | undefined;
  private readonly child: ChildProcess;
  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextId = 0;
  private stderrTail = '';
  private alive = true;
  private readonly ready: Promise<void>;
  private readonly loaded: Promise<void>;

  constructor(
    readonly name: string,
    options: ReplicaClusterOptions,
    prefix: string,
    waitStart = false,
  ) {
    installExitHook();
    const args = [
      ...(options.nodeFlags ?? []),
      '--import',
      'tsx',
      PROGRAM,
      '--name',
      name,
      '--redis',
      options.redisUrl,
      '--prefix',
      prefix,
      '--broadcast-period-ms',
      String(options.broadcastPeriodMs),
      '--down-period-ms',
      String(options.downPeriodMs),
      '--permdown-period-ms',
      String(options.permdownPeriodMs),
      '--diff-events',
      options.diffEvents ?? 'all',
      ...(waitStart ? ['--wait-start'] : []),
      ...(options.clusterSecret === null
        ? []
        : ['--cluster-secret', options.clusterSecret ?? REPLICA_CLUSTER_SECRET]),
    ];
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    liveChildren.add(this.child);
    this.child.stdin?.on('error', () => {}); // writing to a dead child: the request times out
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.alive = false;
        liveChildren.delete(this.child);
        for (const [, request] of this.pending) {
          clearTimeout(request.timer);
          request.reject(new Error(`${name} exited (${code ?? signal}) before replying`));
        }
        this.pending.clear();
        resolve({ code, signal });
      });
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_KEPT_CHARS);
      if (options.echoStderr) process.stderr.write(chunk);
    });
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    let markLoaded: () => void = () => {};
    this.loaded = new Promise((resolve) => {
      markLoaded = resolve;
    });
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.stderrTail += `\n(stdout) ${line}`;
        return;
      }
      if (typeof message['event'] === 'string') {
        this.events.push(message as ReplicaProcessEvent);
        if (message['event'] === 'loaded') markLoaded();
        if (message['event'] === 'ready') {
          this.vsn = message['vsn'] as number;
          markReady();
        }
        return;
      }
      const id = message['id'];
      if (typeof id !== 'number') return;
      const request = this.pending.get(id);
      if (!request) return;
      this.pending.delete(id);
      clearTimeout(request.timer);
      request.resolve(message as Reply);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The tail of the process's stderr, for failure messages. */
  get stderr(): string {
    return this.stderrTail;
  }

  /** The replica key `name#vsn` of this incarnation (after ready). */
  get key(): string {
    return `${this.name}#${this.vsn}`;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    await this.waitFor(this.ready, 'ready', timeoutMs);
  }

  /** A process spawned by ReplicaCluster.prepare() has loaded its modules and awaits start. */
  async waitLoaded(timeoutMs: number): Promise<void> {
    await this.waitFor(this.loaded, 'loaded', timeoutMs);
  }

  /** Boots a prepared process (its replica starts now) and waits for its link. */
  async boot(timeoutMs = 30_000): Promise<void> {
    await this.call({ cmd: 'start' });
    await this.waitReady(timeoutMs);
  }

  private async waitFor(what: Promise<void>, label: string, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`${this.name} not ${label} within ${timeoutMs} ms:\n${this.stderr}`)),
        timeoutMs,
      );
    });
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`${this.name} exited (${code ?? signal}) before ${label}:\n${this.stderr}`);
    });
    try {
      await Promise.race([what, timeout, died]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a command and resolves with its reply; rejects on timeout or if the process dies. */
  request(command: Record<string, unknown>, timeoutMs = 10_000): Promise<Reply> {
    if (!this.alive) return Promise.reject(new Error(`${this.name} is not running`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(
            `${this.name}: no reply to ${String(command['cmd'])} within ${timeoutMs} ms:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin?.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  /** Like request(), but throws when the reply is not ok. */
  async call(command: Record<string, unknown>, timeoutMs?: number): Promise<Reply> {
    const reply = await this.request(command, timeoutMs);
    if (reply.ok !== true) {
      throw new Error(`${this.name}: ${String(command['cmd'])} failed: ${JSON.stringify(reply)}`);
    }
    return reply;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful leave), resolved with the exit code; SIGKILL after `graceMs`. */
  async terminate(graceMs = 10_000): Promise<number | null> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return (await this.exited).code;
    } finally {
      clearTimeout(timer);
    }
  }

  diffs(fromIndex = 0): DiffEvent[] {
    return this.events.slice(fromIndex).filter((e): e is DiffEvent => e.event === 'diff');
  }

  replicaEvents(fromIndex = 0): ReplicaEventLine[] {
    return this.events.slice(fromIndex).filter((e): e is ReplicaEventLine => e.event === 'replica');
  }
}

export class ReplicaCluster {
  readonly prefix: string;
  private readonly nodes = new Map<string, ReplicaNode>();
  private readonly all: ReplicaNode[] = [];

  constructor(private readonly options: ReplicaClusterOptions) {
    this.prefix = options.prefix ?? `gp-test-${randomUUID().slice(0, 8)}`;
  }

  /** Spawns a replica process under `name` (replacing a dead one of that name); waits for ready. */
  async spawn(name: string): Promise<ReplicaNode> {
    const previous = this.nodes.get(name);
    if (previous?.isAlive) throw new Error(`replica ${name} is already running`);
    const node = new ReplicaNode(name, this.options, this.prefix);
    this.nodes.set(name, node);
    this.all.push(node);
    await node.waitReady(this.options.readyTimeoutMs ?? 30_000);
    return node;
  }

  /**
   * Spawns a replica process that loads its modules and waits: boot() then starts it within
   * milliseconds (a restart faster than the down period). The current incarnation of `name`, if
   * any, is left alone until boot: kill it first.
   */
  async prepare(name: string): Promise<ReplicaNode> {
    const node = new ReplicaNode(name, this.options, this.prefix, true);
    this.all.push(node);
    await node.waitLoaded(this.options.readyTimeoutMs ?? 30_000);
    return node;
  }

  /** Makes a prepared node the current incarnation of its name and boots it. */
  async boot(node: ReplicaNode): Promise<ReplicaNode> {
    const previous = this.nodes.get(node.name);
    if (previous?.isAlive && previous !== node) {
      throw new Error(`replica ${node.name} is already running`);
    }
    this.nodes.set(node.name, node);
    await node.boot(this.options.readyTimeoutMs ?? 30_000);
    return node;
  }

  async spawnAll(names: readonly string[]): Promise<ReplicaNode[]> {
    return Promise.all(names.map((name) => this.spawn(name)));
  }

  node(name: string): ReplicaNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no replica named ${name}`);
    return node;
  }

  /** The current incarnation of every name. */
  get current(): ReplicaNode[] {
    return [...this.nodes.values()];
  }

  get running(): ReplicaNode[] {
    return this.current.filter((node) => node.isAlive);
  }

  /** SIGKILLs the current incarnation (if alive) and starts a new one under the same name. */
  async restart(name: string): Promise<ReplicaNode> {
    await this.node(name).kill();
    return this.spawn(name);
  }

  /** Kills every child ever spawned (SIGCONT first is not needed: SIGKILL ends stopped ones). */
  async dispose(): Promise<void> {
    await Promise.all(this.all.filter((node) => node.isAlive).map((node) => node.kill()));
  }
}
