/**
 * deploy/Dockerfile's build steps as plain commands (no image registry is reachable here, so no
 * image is built): the build stage installs and compiles, the final stage gets the production
 * files only, runs as a non-root user with no secret baked in, starts with its CMD and the
 * secrets from the environment, and its HEALTHCHECK command passes against the running node
 * (and fails with no node behind it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { readDockerfile, run, runDockerfile, type Stage } from './support/dockerfile.js';
import { freePort } from './support/nginx.js';
import { READINESS_PATH } from './support/readiness.js';

/** The image's environment starts from the host's, less anything the node would read. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PRESENCE_|REDIS_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(name))
      continue;
    env[name] = value;
  }
  return env;
}

let node: ChildProcess | undefined;
let stages: Stage[] = [];
afterAll(() => {
  node?.kill('SIGKILL');
  const root = stages[0] === undefined ? undefined : dirname(stages[0].dir);
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe('deploy/Dockerfile, step by step', () => {
  const instructions = readDockerfile();

  it('is multi-stage, non-root, with no secret in the image', () => {
    expect(instructions.filter((i) => i.keyword === 'FROM').length).toBeGreaterThanOrEqual(2);
    const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));
    const user = finalStage.find((i) => i.keyword === 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    for (const { keyword, args } of instructions) {
      if (keyword === 'ENV' || keyword === 'ARG') expect(args).not.toMatch(/SECRET|TOKEN/);
    }
    const probe = finalStage.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(probe).toContain('/readyz');
  });

  it('installs, builds, starts, and answers its HEALTHCHECK', async () => {
    stages = await runDockerfile(instructions, baseEnv());
    const image = stages.at(-1);
    if (image === undefined) throw new Error('no stage');
    // Production files only: the compiled CLI, no compiler, no test runner, no sources.
    expect(existsSync(`${image.dir}/dist/src/cli/main.js`)).toBe(true);
    expect(existsSync(`${image.dir}/node_modules/socket.io`)).toBe(true);
    expect(existsSync(`${image.dir}/node_modules/typescript`)).toBe(false);
    expect(existsSync(`${image.dir}/node_modules/vitest`)).toBe(false);
    expect(existsSync(`${image.dir}/src`)).toBe(false);
    const [command, ...args] = image.cmd ?? [];
    if (command === undefined || image.healthcheck === undefined) {
      throw new Error('the final stage needs CMD and HEALTHCHECK');
    }

    // As `docker run -e PRESENCE_JWT_SECRET=... -e PORT=...`: secrets from the environment.
    const port = await freePort();
    const env = {
      ...image.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      PRESENCE_JWT_SECRET: 'container-steps-test-jwt-secret-32-bytes',
    };
    let output = '';
    node = spawn(command, args, { cwd: image.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    node.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    node.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(() => /listening on http:\/\//.test(output) || node?.exitCode !== null, {
      timeoutMs: 30_000,
      description: 'the listening line',
    });
    expect(node.exitCode, output).toBeNull();

    const probe = image.healthcheck.replaceAll('/readyz', READINESS_PATH);
    await waitFor(
      () =>
        run(probe, image.dir, env).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 20_000, description: `the HEALTHCHECK (${READINESS_PATH}) passing` },
    );
    // With nothing listening, the same probe fails.
    const closed = { ...env, PORT: String(await freePort()) };
    await expect(run(probe, image.dir, closed)).rejects.toThrow(/exited 1/);

    node.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) =>
      node?.exitCode !== null ? resolve(node?.exitCode ?? null) : node.once('exit', resolve),
    );
    expect(code).toBe(0);
  }, 600_000);
});
