/**
 * One `graph-presence` node process for a load run: `node [node args] --import tsx
 * src/cli/main.ts ...` (like test/cli/support/cli-process.ts, plus Node flags such as
 * `--cpu-prof`, which NODE_OPTIONS does not accept). Killed when the driver exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI_VARIABLES = ['PORT', 'HOST', 'PRESENCE_NODE_NAME', 'REDIS_URL', 'PRESENCE_GRAPH'];
const KEPT_CHARS = 20_000;
const LISTENING = /listening on (http:\/\/[^\s]+:\d+)/;

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The URL from the `listening on http://HOST:PORT` line, once printed. */
  url(): string | undefined;
  /** When the driver read that line, ms since the epoch. */
  listeningAt(): number | undefined;
  /** The last output, for error messages. */
  output(): string;
}

/** `script` is a path from the repository root (default: the graph-presence command). */
export function spawnNode(
  args: readonly string[],
  env: Record<string, string>,
  nodeArgs: readonly string[],
  script = 'src/cli/main.ts',
): NodeProcess {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const name of CLI_VARIABLES) delete childEnv[name];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: REPO,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Dropped once the child is gone: a driver running several clusters in turn (--webhooks,
  // --baseline) must not pile up listeners.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  let stdout = '';
  let tail = '';
  let listeningAt: number | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (stdout.length < KEPT_CHARS) stdout += chunk.toString();
    if (listeningAt === undefined && LISTENING.test(stdout)) listeningAt = Date.now();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-KEPT_CHARS);
  });
  keepLog(child);
  return {
    child,
    exited: once(child, 'exit').then(() => undefined),
    url: () => LISTENING.exec(stdout)?.[1],
    listeningAt: () => listeningAt,
    output: () => `${stdout}\n${tail}`,
  };
}

/**
 * With LOAD_NODE_LOG_DIR set, a node's whole stderr (its pino JSON lines) goes to
 * `<dir>/node-<pid>.log`, ended by a line with the time the driver saw it exit (for a SIGKILL:
 * the kill), to line up node log times with the run.
 */
function keepLog(child: ChildProcess): void {
  const dir = process.env['LOAD_NODE_LOG_DIR'];
  if (!dir || child.pid === undefined) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `node-${child.pid}.log`);
  child.stderr?.on('data', (chunk: Buffer) => appendFileSync(file, chunk));
  child.once('exit', (code, signal) => {
    const time = performance.timeOrigin + performance.now();
    appendFileSync(file, `${JSON.stringify({ driver: 'exited', code, signal, time })}\n`);
  });
}
