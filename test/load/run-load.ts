/**
 * Runs `load/load.ts <scenario>` as a real process at a tiny scale into a temporary results
 * folder, and reads back what it wrote. Load tests assert on correctness, never on timing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** 60 connections on 2 nodes and 2 workers, a small graph, short phases. */
export const TINY = [
  ...['--connections', '60', '--nodes', '2', '--workers', '2', '--degree', '8'],
  ...['--ramp-rate', '200', '--no-progress'],
];

export interface LoadRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: {
    scenario: string;
    options: Record<string, unknown>;
    machine: { cpus: number; node: string };
    // biome-ignore lint/suspicious/noExplicitAny: figures are JSON read back, checked field by field
    figures: Record<string, any>;
    series: { t: number; connected: number }[];
    eventLoopLag: Record<string, { node: string; p99Ms: number | null; maxMs: number | null }[]>;
    workerCpuPerNodeCpu: Record<string, number | null>;
  };
  readonly svg: string;
}

/** `stem`: the results' file name without extension (`--webhooks` writes load-<scenario>-webhooks). */
export async function runLoad(
  scenario: string,
  args: readonly string[],
  stem = `load-${scenario}`,
): Promise<LoadRun> {
  const out = mkdtempSync(join(tmpdir(), 'load-test-'));
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'load/load.ts', scenario, ...TINY, ...args, '--out', out],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    const jsonFile = join(out, `${stem}.json`);
    const svgFile = join(out, `${stem}.svg`);
    if (code !== 0 || !existsSync(jsonFile) || !existsSync(svgFile)) {
      throw new Error(`load ${scenario} exited ${code}:\n${stdout}\n${stderr}`);
    }
    return {
      code,
      stdout,
      stderr,
      json: JSON.parse(readFileSync(jsonFile, 'utf8')),
      svg: readFileSync(svgFile, 'utf8'),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** What every run must have written: the table, a parseable JSON with a series, an SVG chart. */
export function expectWellFormed(
  run: LoadRun,
  scenario: string,
  expect: typeof import('vitest').expect,
): void {
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`load ${scenario}:`);
  expect(run.json.scenario).toBe(scenario);
  expect(run.json.options['connections']).toBe(60);
  expect(run.json.machine.cpus).toBeGreaterThan(0);
  expect(run.json.series.length).toBeGreaterThan(0);
  // Every table shows each node's event-loop lag and what the generator costs next to the nodes.
  expect(run.stdout).toContain('node event-loop lag during');
  expect(run.stdout).toContain('client workers’ CPU / nodes’ CPU');
  expect(Object.keys(run.json.eventLoopLag).length).toBeGreaterThan(0);
  expect(Object.keys(run.json.workerCpuPerNodeCpu).length).toBeGreaterThan(0);
  expect(run.svg.startsWith('<svg')).toBe(true);
  expect(run.svg).toContain('</svg>');
}

/**
 * `figures.nodeCpuMsPerConnect` is the nodes' CPU in the measured phase over the connects
 * completed in it: `connects` connects, some node CPU, and the quotient of the two.
 */
export function expectNodeCpuPerConnect(
  // biome-ignore lint/suspicious/noExplicitAny: figures are JSON read back, checked field by field
  figures: Record<string, any>,
  phase: string,
  connects: number | undefined,
  expect: typeof import('vitest').expect,
): void {
  const made = figures['nodeCpuPerConnect'];
  expect(made.phase).toBe(phase);
  if (connects !== undefined) expect(made.connects).toBe(connects);
  expect(made.connects).toBeGreaterThan(0);
  expect(made.nodeCpuSeconds).toBeGreaterThan(0);
  expect(figures['nodeCpuMsPerConnect']).toBeCloseTo(
    (made.nodeCpuSeconds * 1000) / made.connects,
    1,
  );
}
