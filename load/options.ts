/**
 * Options of `npm run load -- <scenario> [options]`: one set for every scenario, each scenario
 * overriding some defaults (see load/scenarios/*.ts). Printed with the results so a row can be
 * reproduced.
 */
import { parseArgs } from 'node:util';
import type { ClientKind } from './clients/protocol.js';

export interface LoadOptions {
  /** Client connections M (≈ M/2 users: 1..devices devices each). */
  connections: number;
  nodes: number;
  workers: number;
  seed: number;
  /** Mean friend count of the generated graph. */
  degree: number;
  maxDegree: number;
  /** Devices per user: 1..devices, uniform. */
  devices: number;
  broadcastPeriodMs: number;
  downPeriodMs: number;
  /** Connections opened per second during the ramp, in all. */
  rampRate: number;
  /** Connections being opened at once during the ramp, in all. */
  concurrency: number;
  /** Seconds of the measured phase. */
  duration: number;
  /** steady/failover: status updates per second; churn: joins + leaves per second. */
  rate: number;
  /** churn: share of the connections that come and go. */
  churnFraction: number;
  connectTimeoutMs: number;
  reconnectJitterMs: number;
  /** delivery: connections per second that disconnect and reconnect to the other node. */
  reconnectRate: number;
  /** delivery: `timeoutMs` of each deliver call (ack wait before the fallback). */
  deliverTimeoutMs: number;
  /** delivery: keep-alive HTTP connections of the sender per node (calls beyond them queue). */
  httpConnections: number;
  /** Results folder (default load/results). */
  out: string | undefined;
  /** Node flags of the node processes, space-separated (profiling: `--cpu-prof`). */
  nodeArgs: string;
  /** Node flags of the client workers, space-separated. */
  workerArgs: string;
  logLevel: string;
  progress: boolean;
  /** Who speaks the wire in the client workers: raw websockets, or socket.io-client. */
  client: ClientKind;
  /** steady, connect: also run the plain socket.io baseline on the same graph and compare. */
  baseline: boolean;
  /** steady/baseline: update rates to step through (empty: just --rate). */
  rates: number[];
  /** The nodes' `--leave-grace-ms` (undefined: the node's default). */
  leaveGraceMs: number | undefined;
  /** The nodes' `--max-batch-delay-ms` (undefined: the node's default). */
  maxBatchDelayMs: number | undefined;
  /** The nodes' `--crash-grace-ms` (undefined: the node's default, 30 s). */
  crashGraceMs: number | undefined;
  /** The nodes' `--drain-ms` (SIGTERM, the drain scenario); other scenarios stop at once: 0. */
  drainMs: number;
  /**
   * connect, failover: run twice, without then with online/offline webhooks to a receiver
   * process (load/webhooks/), and report what they cost and how they were delivered.
   */
  webhooks: boolean;
  /** The nodes' `--offline-delay-ms` (undefined: the node's default). */
  offlineDelayMs: number | undefined;
}

export const COMMON_DEFAULTS: LoadOptions = {
  connections: 20_000,
  nodes: 2,
  workers: 3,
  seed: 1,
  degree: 100,
  maxDegree: 3_000,
  devices: 3,
  broadcastPeriodMs: 20,
  downPeriodMs: 5_000,
  rampRate: 1_000,
  concurrency: 200,
  duration: 30,
  rate: 1_000,
  churnFraction: 0.2,
  connectTimeoutMs: 10_000,
  reconnectJitterMs: 1_000,
  reconnectRate: 50,
  deliverTimeoutMs: 5_000,
  httpConnections: 64,
  out: undefined,
  nodeArgs: '',
  workerArgs: '',
  logLevel: 'warn',
  progress: true,
  client: 'raw',
  baseline: false,
  rates: [],
  leaveGraceMs: undefined,
  maxBatchDelayMs: undefined,
  crashGraceMs: undefined,
  drainMs: 0,
  webhooks: false,
  offlineDelayMs: undefined,
};

const NUMERIC: Record<string, keyof LoadOptions> = {
  connections: 'connections',
  nodes: 'nodes',
  workers: 'workers',
  seed: 'seed',
  degree: 'degree',
  'max-degree': 'maxDegree',
  devices: 'devices',
  'broadcast-period-ms': 'broadcastPeriodMs',
  'down-period-ms': 'downPeriodMs',
  'ramp-rate': 'rampRate',
  concurrency: 'concurrency',
  duration: 'duration',
  rate: 'rate',
  'churn-fraction': 'churnFraction',
  'connect-timeout-ms': 'connectTimeoutMs',
  'reconnect-jitter-ms': 'reconnectJitterMs',
  'reconnect-rate': 'reconnectRate',
  'deliver-timeout-ms': 'deliverTimeoutMs',
  'http-connections': 'httpConnections',
  'leave-grace-ms': 'leaveGraceMs',
  'max-batch-delay-ms': 'maxBatchDelayMs',
  'crash-grace-ms': 'crashGraceMs',
  'drain-ms': 'drainMs',
  'offline-delay-ms': 'offlineDelayMs',
};

const DESCRIPTIONS: Record<string, string> = {
  connections: 'client connections M (users ≈ M / 2)',
  nodes: 'graph-presence node processes',
  workers: 'client worker processes',
  seed: 'graph, placement and schedule seed',
  degree: 'mean friends per user',
  'max-degree': 'cap on a user’s expected friends',
  devices: 'devices per user: 1..n',
  'broadcast-period-ms': 'node heartbeat/delta period (cross-node latency floor)',
  'down-period-ms': 'silence before a node is down (failover)',
  'ramp-rate': 'connections opened per second',
  concurrency: 'connections being opened at once',
  duration: 'seconds of the measured phase',
  rate: 'updates/s (steady, failover); joins+leaves/s (churn); messages/s (delivery)',
  'churn-fraction': 'share of connections that come and go (churn)',
  'connect-timeout-ms': 'no presence_state by then = a timeout',
  'reconnect-jitter-ms': 'a dropped (failover) or moved (delivery) client reconnects after 0..n ms',
  'reconnect-rate': 'connections/s moving to the other node (delivery)',
  'deliver-timeout-ms': 'ack wait of each deliver call before the fallback (delivery)',
  'http-connections': 'sender keep-alive connections per node; more calls queue (delivery)',
  'leave-grace-ms': "the nodes' --leave-grace-ms (flap: 0 shows what a drop cost before)",
  'max-batch-delay-ms': "the nodes' --max-batch-delay-ms (0: no batching beyond one turn)",
  'crash-grace-ms': "the nodes' --crash-grace-ms (failover: 0 shows a crash without takeover)",
  'drain-ms': "the nodes' --drain-ms (drain: the window the SIGTERMed node's clients move in)",
  'offline-delay-ms': "the nodes' --offline-delay-ms (webhooks: how long before user.offline)",
};

export function optionsHelp(defaults: LoadOptions): string {
  const flag = (name: string) => {
    const key = NUMERIC[name]!;
    return `  --${name.padEnd(22)} ${(DESCRIPTIONS[name] ?? '').padEnd(56)} [${String(defaults[key])}]`;
  };
  return [
    ...Object.keys(NUMERIC).map(flag),
    '  --out <dir>              results folder  default load/results',
    '  --node-args="<flags>"    Node flags of the node processes (e.g. --node-args="--cpu-prof --cpu-prof-dir=prof")',
    '  --worker-args="<flags>"  Node flags of the client workers',
    '  --log-level <level>      LOG_LEVEL of the node processes  default warn',
    '  --no-progress            no progress line on stderr',
    '  --client <raw|socket.io> client workers speak raw websockets, or use socket.io-client  default raw',
    '  --rates <r1,r2,...>      steady/baseline: step through these update rates (per rate: deliveries/s, p99, lag, CPU)',
    '  --baseline               steady, connect: run the plain socket.io baseline too (1 process) and print the ratio',
    '  --webhooks               connect, failover, drain: run without, then with webhooks to a receiver process; print the cost and deliveries',
  ].join('\n');
}

export class OptionsError extends Error {}

export function parseLoadArguments(argv: readonly string[]): {
  scenario: string | undefined;
  help: boolean;
  given: Partial<LoadOptions>;
} {
  const spec: Record<string, { type: 'string' | 'boolean' }> = {
    out: { type: 'string' },
    'node-args': { type: 'string' },
    'worker-args': { type: 'string' },
    'log-level': { type: 'string' },
    'no-progress': { type: 'boolean' },
    client: { type: 'string' },
    rates: { type: 'string' },
    baseline: { type: 'boolean' },
    webhooks: { type: 'boolean' },
    help: { type: 'boolean' },
  };
  for (const name of Object.keys(NUMERIC)) spec[name] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    throw new OptionsError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const given: Partial<LoadOptions> = {};
  for (const [name, key] of Object.entries(NUMERIC)) {
    const raw = values[name];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new OptionsError(`--${name} must be a non-negative number, got "${String(raw)}"`);
    }
    (given as Record<string, number>)[key] = value;
  }
  if (typeof values['out'] === 'string') given.out = values['out'];
  if (typeof values['node-args'] === 'string') given.nodeArgs = values['node-args'];
  if (typeof values['worker-args'] === 'string') given.workerArgs = values['worker-args'];
  if (typeof values['log-level'] === 'string') given.logLevel = values['log-level'];
  if (values['no-progress'] === true) given.progress = false;
  if (values['baseline'] === true) given.baseline = true;
  if (values['webhooks'] === true) given.webhooks = true;
  const client = values['client'];
  if (client !== undefined) {
    if (client !== 'raw' && client !== 'socket.io') {
      throw new OptionsError(`--client must be raw or socket.io, got "${String(client)}"`);
    }
    given.client = client;
  }
  const rates = values['rates'];
  if (typeof rates === 'string') {
    given.rates = rates.split(',').map((r) => {
      const rate = Number(r);
      if (r.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
        throw new OptionsError(
          `--rates must be positive numbers separated by commas, got "${rates}"`,
        );
      }
      return rate;
    });
  }
  return { scenario: positionals[0], help: values['help'] === true, given };
}

export function checkOptions(options: LoadOptions): void {
  const positive: (keyof LoadOptions)[] = [
    'connections',
    'nodes',
    'workers',
    'devices',
    'httpConnections',
  ];
  for (const key of positive) {
    if (!Number.isInteger(options[key]) || (options[key] as number) < 1) {
      throw new OptionsError(`--${key} must be a positive integer`);
    }
  }
  if (options.downPeriodMs < 2 * options.broadcastPeriodMs) {
    throw new OptionsError('--down-period-ms must be at least twice --broadcast-period-ms');
  }
  if (options.churnFraction > 1) throw new OptionsError('--churn-fraction must be at most 1');
  if (
    !Number.isInteger(options.deliverTimeoutMs) ||
    options.deliverTimeoutMs < 1 ||
    options.deliverTimeoutMs > 60_000
  ) {
    throw new OptionsError('--deliver-timeout-ms must be an integer from 1 to 60000');
  }
}
