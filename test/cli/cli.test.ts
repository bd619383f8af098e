/**
 * The `graph-presence` command as users run it: options, exit codes, the listening line, HTTP
 * routes, demo tokens accepted by the real socket.io gateway, and a clean exit on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { type CliRun, killAll, runCli, startCli, stopCli } from './support/cli-process.js';
import { connectClient, demoToken, type WatchedClient } from './support/presence-clients.js';

afterAll(() => killAll());

const SECRET = 'cli-test-secret-of-at-least-32-bytes';
const ADMIN_TOKEN = 'cli-admin-token-0123456789';
const asAdmin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

/** With a valid secret in the environment, so that only the option under test is wrong. */
async function expectUsageError(args: string[], names: string, env: Record<string, string> = {}) {
  const run = runCli(args, { PRESENCE_JWT_SECRET: SECRET, ...env });
  const { code } = await run.exited;
  expect(code).toBe(2);
  const lines = run.plainStderrLines();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(names);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0]!;
}

describe('graph-presence: operator mistakes exit 2 with one line naming the option', () => {
  it.each([
    [['--bogus'], '--bogus'],
    [['--port', 'abc'], '--port'],
    [['--port', '70000'], '--port'],
    [['--port'], '--port'],
    [['--demo=yes'], '--demo'],
    [['--graph', 'neo4j:bolt://x'], '--graph'],
    [['--graph', 'graphology:friends.txt'], '--graph'],
    [['--graph', 'graphology:/nonexistent/friends.json'], '--graph'],
    [['--redis', 'http://not-redis'], '--redis'],
    [['--jwt-secret', ''], '--jwt-secret'],
    [['--admin-token', 'short'], '--admin-token'],
    [['--admin-token', 'has spaces in the middle of it'], '--admin-token'],
    [['--broadcast-period-ms', '0'], '--broadcast-period-ms'],
    [['--broadcast-period-ms', '1000', '--down-period-ms', '1500'], '--down-period-ms'],
    [['--down-period-ms', '20000', '--permdown-period-ms', '20000'], '--permdown-period-ms'],
    // An idle node heartbeats every 33 s at this period: a 30 s down period would flap it.
    [['--broadcast-period-ms', '3000', '--down-period-ms', '30000'], '--down-period-ms'],
    [['--subscription-recheck-ms', '-1'], '--subscription-recheck-ms'],
    [['--max-batch-delay-ms', '20000'], '--max-batch-delay-ms'],
    [['--leave-grace-ms', 'soon'], '--leave-grace-ms'],
    [['extra'], 'extra'],
  ])('%j', async (args, names) => {
    await expectUsageError(args, names);
  });

  it('names the environment variable when the bad value came from it', async () => {
    await expectUsageError([], 'PORT', { PORT: 'eighty' });
  });

  it('a port already in use names --port', async () => {
    const { run, url } = await startCli(['--port', '0', '--demo']);
    try {
      const port = new URL(url).port;
      await expectUsageError(['--port', port, '--demo'], '--port');
    } finally {
      await stopCli(run);
    }
  });

  it('an unreachable Redis names --redis', async () => {
    const line = await expectUsageError(['--redis', 'redis://127.0.0.1:1'], '--redis');
    expect(line).toContain('redis://127.0.0.1:1');
  });

  it('an unreachable HTTP graph API names --graph', async () => {
    await expectUsageError(['--graph', 'http:http://127.0.0.1:1/api', '--demo'], '--graph');
  });

  it('an HTTP graph API answering with a redirect names --graph (redirects are not followed)', async () => {
    const api = createServer((_req, res) =>
      res.writeHead(301, { location: 'https://x.test/' }).end(),
    );
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api`;
      const line = await expectUsageError(['--graph', `http:${base}`, '--demo'], '--graph');
      expect(line).toContain('redirect to https://x.test/');
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('--help and --version print and exit 0', async () => {
    const help = runCli(['--help']);
    expect((await help.exited).code).toBe(0);
    for (const option of ['--port', '--redis', '--graph', '--jwt-secret', '--demo']) {
      expect(help.stdout).toContain(option);
    }
    const version = runCli(['--version']);
    expect((await version.exited).code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('graph-presence --port 0 --demo --jwt-secret --admin-token', () => {
  const secret = SECRET;
  let run: CliRun;
  let url: string;
  const clients: WatchedClient[] = [];

  afterAll(async () => {
    for (const c of clients) c.client.disconnect();
    if (run) await stopCli(run);
  });

  it('prints the listening line with the real port', async () => {
    ({ run, url } = await startCli([
      '--port',
      '0',
      '--demo',
      '--jwt-secret',
      secret,
      '--admin-token',
      ADMIN_TOKEN,
    ]));
    const port = Number(new URL(url).port);
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(run.stderr).not.toContain('demo mode'); // a secret was given: no implicit-demo warning
    for (const line of run.stderr.split('\n').filter(Boolean)) {
      expect(() => JSON.parse(line)).not.toThrow(); // logs are JSON lines
    }
  });

  it('/healthz answers 200 with the replica counts, and the node name to the admin', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ status: 'ok', replicas: { up: 0, down: 0 } });
    const admin = (await (await fetch(`${url}/healthz`, asAdmin)).json()) as Record<
      string,
      unknown
    >;
    expect(typeof admin['node']).toBe('string');
  });

  it('/metrics answers Prometheus text to the admin', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const response = await fetch(`${url}/metrics`, asAdmin);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    for (const name of [
      'presence_connections',
      'presence_presences',
      'presence_replicas{status="up"}',
      'presence_deltas_sent_total',
      'presence_deltas_merged_total',
      'presence_transfers_requested_total',
      'presence_transfers_served_total',
      'presence_fanout_seconds_bucket',
      'presence_transport_frames_dropped_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('unknown paths are 404 JSON, a bad query 400 JSON', async () => {
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const bad = await fetch(`${url}/demo/token`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request' } });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>graph-presence demo</title>');
    const users = (await (await fetch(`${url}/demo/users`)).json()) as { users: string[] };
    expect(users.users).toEqual(expect.arrayContaining(['alice', 'bob', 'heidi']));
    const client = await fetch(`${url}/socket.io/socket.io.min.js`);
    expect(client.status).toBe(200);
  });

  it('demo tokens are accepted by the gateway; friends see each other, others never', async () => {
    const alice = await connectClient(url, 'alice');
    const bob = await connectClient(url, 'bob');
    const heidi = await connectClient(url, 'heidi');
    clients.push(alice, bob, heidi);
    await waitFor(() => alice.users().includes('bob') && bob.users().includes('alice'), {
      description: 'alice and bob see each other',
    });
    await bob.client.setStatus('busy');
    await waitFor(() => alice.status('bob').includes('busy'), {
      description: "alice sees bob's new status",
    });
    const metrics = await (await fetch(`${url}/metrics`, asAdmin)).text();
    expect(metrics).toMatch(/^presence_connections 3$/m);
    expect(alice.seen.has('heidi')).toBe(false);
    expect(bob.seen.has('heidi')).toBe(false);
    expect(heidi.seen.has('alice') || heidi.seen.has('bob')).toBe(false);
  });

  it('a token signed with another secret is refused with unauthorized', async () => {
    const other = await startCli(['--port', '0', '--demo']); // random demo secret
    try {
      const foreign = await demoToken(other.url, 'alice');
      const socket = io(`${url}/presence`, {
        auth: { token: foreign },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const message = await new Promise<string>((resolve, reject) => {
        socket.once('connect', () => reject(new Error('accepted')));
        socket.once('connect_error', (error) => resolve(error.message));
      });
      socket.disconnect();
      expect(message).toBe('unauthorized');
      const metrics = await (await fetch(`${url}/metrics`, asAdmin)).text();
      expect(metrics).toMatch(/^presence_connections_unauthorized_total [1-9]/m);
      expect(metrics).toMatch(/^presence_admission_queue 0$/m);
    } finally {
      expect((await stopCli(other.run)).code).toBe(0);
    }
  });

  it('SIGTERM: disconnects clients, exits 0', async () => {
    const carol = await connectClient(url, 'carol');
    let disconnected = false;
    carol.client.socket.on('disconnect', () => {
      disconnected = true;
    });
    const exit = await stopCli(run);
    expect(exit).toEqual({ code: 0, signal: null });
    await waitFor(() => disconnected, { description: 'carol disconnected' });
    expect(run.stderr).toContain('shutting down');
  });
});

describe('graph-presence --demo (the set-up command)', () => {
  it('starts one node with a random secret and demo tokens, and SIGINT exits 0', async () => {
    // PORT from the environment only so the test never collides on the default 4000.
    const { run, url } = await startCli(['--demo'], { PORT: '0' });
    try {
      expect(run.stderr).toContain('--demo: anyone can get a token for any user');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/demo/token?user=alice`)).status).toBe(200);
    } finally {
      expect((await stopCli(run, 'SIGINT')).code).toBe(0);
    }
  }, 30_000);
});
