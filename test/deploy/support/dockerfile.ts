/**
 * deploy/Dockerfile read as a list of steps, and run as plain commands in temporary folders
 * (one per stage, standing for its WORKDIR), since no image registry is reachable here: COPY
 * copies from the repository (or an earlier stage), RUN runs in `sh -c`, ENV sets variables for
 * what follows. Only the instructions the file uses are known; any other fails the test, so the
 * file cannot drift beyond what this checks.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DOCKERFILE = join(REPO, 'deploy', 'Dockerfile');

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The instructions, continuation lines joined, comments and blank lines dropped. */
export function readDockerfile(path = DOCKERFILE): Instruction[] {
  const lines = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return lines.map((line) => {
    const match = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`deploy/Dockerfile: cannot read "${line}"`);
    return { keyword: match[1] ?? '', args: match[2] ?? '' };
  });
}

export interface Stage {
  readonly name: string | undefined;
  readonly image: string;
  /** Stands for the stage's WORKDIR. */
  readonly dir: string;
  readonly env: Record<string, string>;
  user: string | undefined;
  healthcheck: string | undefined;
  cmd: readonly string[] | undefined;
  readonly exposed: string[];
}

const WORKDIR = '/app';

/** Runs every stage's COPY and RUN steps; returns the stages, the last one the image. */
export async function runDockerfile(
  instructions: readonly Instruction[],
  baseEnv: Record<string, string>,
  log: (line: string) => void = () => {},
): Promise<Stage[]> {
  const root = mkdtempSync(join(tmpdir(), 'presence-image-'));
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  for (const { keyword, args } of instructions) {
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      if (as !== undefined && as.toUpperCase() !== 'AS') throw new Error(`FROM ${args}`);
      stage = {
        name,
        image,
        dir: join(root, `stage-${stages.length}`),
        env: { ...baseEnv },
        user: undefined,
        healthcheck: undefined,
        cmd: undefined,
        exposed: [],
      };
      mkdirSync(stage.dir, { recursive: true });
      stages.push(stage);
      continue;
    }
    if (stage === undefined) throw new Error(`${keyword} before FROM`);
    log(`${keyword} ${args}`);
    switch (keyword) {
      case 'WORKDIR':
        if (args !== WORKDIR) throw new Error(`WORKDIR ${args}: only ${WORKDIR} is run here`);
        break;
      case 'COPY':
        copy(stage, stages, args);
        break;
      case 'RUN':
        await run(args, stage.dir, stage.env, log);
        break;
      case 'ENV': {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(args);
        if (!match?.[1]) throw new Error(`ENV ${args}: write ENV NAME=value, one per line`);
        stage.env[match[1]] = match[2] ?? '';
        break;
      }
      case 'USER':
        stage.user = args;
        break;
      case 'EXPOSE':
        stage.exposed.push(args);
        break;
      case 'HEALTHCHECK': {
        const match = /\bCMD\s+(.*)$/.exec(args);
        if (!match?.[1]) throw new Error(`HEALTHCHECK ${args}: expected CMD <shell command>`);
        stage.healthcheck = match[1];
        break;
      }
      case 'CMD':
        stage.cmd = JSON.parse(args) as string[];
        break;
      default:
        throw new Error(`deploy/Dockerfile: ${keyword} is not run by this test; add it here`);
    }
  }
  return stages;
}

function copy(stage: Stage, stages: readonly Stage[], args: string): void {
  const words = args.split(/\s+/);
  const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
  const dest = words.pop();
  if (dest === undefined || words.length === 0) throw new Error(`COPY ${args}`);
  const sourceStage = from === undefined ? undefined : stages.find((s) => s.name === from);
  if (from !== undefined && sourceStage === undefined) throw new Error(`COPY --from=${from}`);
  const intoFolder = dest.endsWith('/') || words.length > 1;
  for (const source of words) {
    const path =
      sourceStage === undefined
        ? join(REPO, source)
        : join(sourceStage.dir, source.replace(new RegExp(`^${WORKDIR}/?`), ''));
    const target = intoFolder ? join(stage.dir, dest, basename(source)) : join(stage.dir, dest);
    cpSync(path, target, { recursive: true, verbatimSymlinks: true });
  }
}

/** `sh -c command` in `cwd`; rejects with the output's tail on a non-zero exit. */
export function run(
  command: string,
  cwd: string,
  env: Record<string, string>,
  log: (line: string) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      log(`  exit ${code}`);
      if (code === 0) resolve();
      else reject(new Error(`"${command}" exited ${code}:\n${output}`));
    });
  });
}
