/**
 * The real `graph-presence` command as a child process (`node --import tsx src/cli/main.ts`),
 * with its output kept for assertions. Every process started here is killed when the test
 * process exits, even after a failed test; still call stop()/killAll() in afterAll.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait-for.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const STOP_GRACE_MS = 10_000;
/** The command's variables, removed from the inherited environment so the host's never leak in. */
const CLI_VARIABLES = [
  'PORT',
  'HOST',
  'PRESENCE_NODE_NAME',
  'REDIS_URL',
  'PRESENCE_GRAPH',
  'PRESENCE_LAST_SEEN',
  'PRESENCE_JWT_SECRET',
  'PRESENCE_JWT_MAX_AGE_S',
  'PRESENCE_JWT_AUDIENCE',
  'PRESENCE_JWT_ISSUER',
  'PRESENCE_JWT_ALLOW_NO_EXP',
  'PRESENCE_ADMIN_TOKEN',
  'PRESENCE_METRICS_LISTEN',
  'PRESENCE_LEAVE_GRACE_MS',
  'PRESENCE_DRAIN_MS',
  'PRESENCE_MAX_BATCH_DELAY_MS',
  'PRESENCE_CLUSTER_SECRET',
  'PRESENCE_CLUSTER_SECRET_PREVIOUS',
  'PRESENCE_CLUSTER_SECRET_NEXT',
  'PRESENCE_CHANNEL_PREFIX',
  'PRESENCE_WEBHOOK_URL',
  'PRESENCE_WEBHOOK_SECRET',
  'LOG_LEVEL',
];

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export interface CliRun {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or null after a signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Lines of stderr that are not pino JSON log lines. */
  plainStderrLines(): string[];
  /** The URL from the `listening on http://HOST:PORT` line, once printed. */
  url(): string | undefined;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): CliRun {
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const name of CLI_VARIABLES) delete childEnv[name];
  // Tests of other things stop a node at once (as a node alone does); drain tests set their own.
  childEnv['PRESENCE_DRAIN_MS'] = '0';
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  installExitHook();
  live.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => {
    live.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const run: CliRun = {
    child,
    stdout: '',
    stderr: '',
    exited,
    plainStderrLines() {
      return run.stderr.split('\n').filter((line) => line.trim() !== '' && !isJsonLine(line));
    },
    url() {
      return /listening on (http:\/\/[^\s]+:\d+)/.exec(run.stdout)?.[1];
    },
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  return run;
}

/** Starts the command and waits for its listening line; returns the run and its URL. */
export async function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ run: CliRun; url: string }> {
  const run = runCli(args, env);
  let exited = false;
  void run.exited.then(() => {
    exited = true;
  });
  await waitFor(() => run.url() !== undefined || exited, {
    timeoutMs: 20_000,
    description: 'the listening line',
  });
  const url = run.url();
  if (url === undefined) {
    throw new Error(`graph-presence exited before listening:\n${run.stdout}\n${run.stderr}`);
  }
  return { run, url };
}

/** SIGTERM, then SIGKILL if still running after a grace period; resolves with the exit. */
export async function stopCli(
  run: CliRun,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

function isJsonLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAll);
}
