/**
 * What a node tells strangers about its host (issue 21, finding 4): `/healthz` showed the node
 * name, by default the host name and pid, to anyone; `--metrics-listen` on an address beyond
 * loopback serves /metrics without authentication and gave no warning. A real node started
 * in-process from the command line's configuration (its default node name from this process).
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { parseArguments } from '../../src/cli/parse-arguments.js';
import { type RunningNode, startNode } from '../../src/cli/start-node.js';
import type { Logger } from '../../src/ports/logger.js';

const ADMIN_TOKEN = 'host-identity-admin-token';
const JWT_SECRET = 'host-identity-jwt-secret-of-32-bytes!!';

let node: RunningNode | undefined;
afterEach(async () => {
  await node?.shutdown();
  node = undefined;
});

function logger(): Logger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`),
    error: () => {},
  };
}

async function start(argv: string[], log: Logger = logger()): Promise<RunningNode> {
  const config = resolveConfig(parseArguments(['--port', '0', '--host', '127.0.0.1', ...argv]), {
    PRESENCE_JWT_SECRET: JWT_SECRET,
  });
  node = await startNode(config, log);
  return node;
}

describe('/healthz', () => {
  it('shows nothing that identifies the host without the admin token', async () => {
    const running = await start(['--admin-token', ADMIN_TOKEN]);
    expect(running.nodeName).toBe(`${hostname()}-${process.pid}`);
    const anonymous = await fetch(`${running.url}/healthz`);
    expect(anonymous.status).toBe(200);
    const text = await anonymous.text();
    expect(JSON.parse(text)).toEqual({ status: 'ok', replicas: { up: 0, down: 0 } });
    expect(text).not.toContain(hostname());
    expect(text).not.toContain(String(process.pid));

    const wrong = await fetch(`${running.url}/healthz`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(await wrong.json()).not.toHaveProperty('node');

    const admin = await fetch(`${running.url}/healthz`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(await admin.json()).toMatchObject({ status: 'ok', node: running.nodeName });
  });

  it('shows no node name on a node without an admin token', async () => {
    const running = await start([]);
    expect(await (await fetch(`${running.url}/healthz`)).json()).not.toHaveProperty('node');
  });
});

describe('--metrics-listen', () => {
  it('warns at start when the address is not loopback', async () => {
    const log = logger();
    await start(['--metrics-listen', '0.0.0.0:0'], log);
    expect(log.warnings.filter((w) => w.includes('--metrics-listen'))).toEqual([
      expect.stringContaining('not a loopback address'),
    ]);
  });

  it('does not warn on loopback', async () => {
    const log = logger();
    await start(['--metrics-listen', '127.0.0.1:0'], log);
    expect(log.warnings.filter((w) => w.includes('--metrics-listen'))).toEqual([]);
  });
});
