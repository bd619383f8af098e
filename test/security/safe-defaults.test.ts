/**
 * Safe defaults of the real `graph-presence` command and of the library: no JWT secret means no
 * start (demo tokens only with an explicit --demo), a secret shorter than 32 bytes is refused, a
 * demo on a non-loopback address is announced loudly, and a secret on the command line (visible
 * in `ps`) is warned about.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createPresenceServer } from '../../src/index.js';
import { killAll, runCli, startCli, stopCli } from '../cli/support/cli-process.js';

afterAll(() => killAll());

const SECRET_32 = 'a-secret-of-exactly-32-bytes-!!!';
const ADMIN_TOKEN = 'admin-token-0123456789';

/** Runs the command, expects exit 2 with one plain stderr line, returns that line. */
async function usageError(args: string[], env: Record<string, string> = {}): Promise<string> {
  const run = runCli(args, env);
  const { code } = await run.exited;
  expect(code).toBe(2);
  const lines = run.plainStderrLines();
  expect(lines).toHaveLength(1);
  expect(run.stdout).not.toContain('listening');
  return lines[0]!;
}

describe('no JWT secret and no --demo: exit 2', () => {
  it.each([
    ['no options', [], {}],
    ['an admin token only', ['--admin-token', ADMIN_TOKEN], {}],
    ['an empty PRESENCE_JWT_SECRET', [], { PRESENCE_JWT_SECRET: '' }],
  ])('%s', async (_name, args, env) => {
    const line = await usageError(['--port', '0', ...args], env);
    expect(line).toContain('PRESENCE_JWT_SECRET');
    expect(line).toContain('--demo');
  });
});

describe('a JWT secret shorter than 32 bytes: exit 2 naming where it came from', () => {
  it.each([
    [['--jwt-secret', 'x'], {}, '--jwt-secret'],
    [['--jwt-secret', 'a'.repeat(31)], {}, '--jwt-secret'],
    [['--jwt-secret', '   '], {}, '--jwt-secret'],
    [[], { PRESENCE_JWT_SECRET: 'short-secret' }, 'PRESENCE_JWT_SECRET'],
    [['--demo', '--jwt-secret', 'short'], {}, '--jwt-secret'],
  ])('%j %j', async (args, env, names) => {
    const line = await usageError(['--port', '0', ...args], env);
    expect(line).toContain(names);
    expect(line).toContain('32 bytes');
  });

  it('counts bytes, not characters: 16 two-byte characters are enough', async () => {
    const { run } = await startCli(['--port', '0'], { PRESENCE_JWT_SECRET: 'é'.repeat(16) });
    expect((await stopCli(run)).code).toBe(0);
  });
});

describe('token policy options: bad values exit 2 naming the option', () => {
  it.each([
    [['--jwt-max-age-s', '0'], {}, '--jwt-max-age-s'],
    [['--jwt-max-age-s', 'a day'], {}, '--jwt-max-age-s'],
    [[], { PRESENCE_JWT_MAX_AGE_S: '-5' }, 'PRESENCE_JWT_MAX_AGE_S'],
    [[], { PRESENCE_JWT_ALLOW_NO_EXP: 'maybe' }, 'PRESENCE_JWT_ALLOW_NO_EXP'],
    [['--jwt-audience', ' '], {}, '--jwt-audience'],
    [['--metrics-listen', 'nowhere'], {}, '--metrics-listen'],
    [['--metrics-listen', '127.0.0.1:99999'], {}, '--metrics-listen'],
  ])('%j %j', async (args, env, names) => {
    const line = await usageError(['--port', '0', ...args], {
      PRESENCE_JWT_SECRET: SECRET_32,
      ...env,
    });
    expect(line).toContain(names);
  });
});

describe('--demo', () => {
  it('starts without a secret (a random one) and serves demo tokens on loopback', async () => {
    const { run, url } = await startCli(['--port', '0', '--demo']);
    try {
      expect((await fetch(`${url}/demo/token?user=alice`)).status).toBe(200);
      expect(run.plainStderrLines()).toEqual([]);
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });

  it('without --demo there are no demo routes, even with a secret', async () => {
    const { run, url } = await startCli(['--port', '0'], { PRESENCE_JWT_SECRET: SECRET_32 });
    try {
      expect((await fetch(`${url}/demo/token?user=alice`)).status).toBe(404);
      expect((await fetch(`${url}/demo/friends?user=alice`)).status).toBe(404);
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });

  it('on a non-loopback address says so loudly on stderr', async () => {
    const { run } = await startCli(['--port', '0', '--host', '0.0.0.0', '--demo']);
    try {
      const warning = run.plainStderrLines().join('\n');
      expect(warning).toContain('--demo');
      expect(warning).toContain('0.0.0.0');
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });
});

describe('secrets on the command line', () => {
  const warnings = (stderr: string) =>
    stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level === 40 && /command line/.test(entry.msg));

  it('are warned about once, naming the options and their variables, never the values', async () => {
    const { run } = await startCli([
      ...['--port', '0', '--jwt-secret', SECRET_32, '--admin-token', ADMIN_TOKEN],
    ]);
    await stopCli(run);
    const found = warnings(run.stderr);
    expect(found).toHaveLength(1);
    const text = JSON.stringify(found[0]);
    for (const name of [
      '--jwt-secret',
      'PRESENCE_JWT_SECRET',
      '--admin-token',
      'PRESENCE_ADMIN_TOKEN',
    ]) {
      expect(text).toContain(name);
    }
    expect(run.stderr).not.toContain(SECRET_32);
    expect(run.stderr).not.toContain(ADMIN_TOKEN);
  });

  it('are not warned about when they come from the environment', async () => {
    const { run } = await startCli(['--port', '0'], {
      PRESENCE_JWT_SECRET: SECRET_32,
      PRESENCE_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    await stopCli(run);
    expect(warnings(run.stderr)).toEqual([]);
  });
});

describe('createPresenceServer refuses a JWT secret shorter than 32 bytes', () => {
  const graph = new GraphologyFriendsGraph();
  it.each([
    ['an empty string', ''],
    ['31 bytes', 'a'.repeat(31)],
    ['16 bytes as a Uint8Array', new Uint8Array(16)],
  ])('%s', (_name, jwtSecret) => {
    expect(() => createPresenceServer({ graph, jwtSecret })).toThrow(InvalidOptionError);
    expect(() => createPresenceServer({ graph, jwtSecret })).toThrow(/32 bytes/);
  });

  it('accepts 32 bytes', async () => {
    const server = createPresenceServer({ graph, jwtSecret: new Uint8Array(32) });
    await server.close();
  });
});
