/**
 * A cluster secret rotation in the middle of its rolling restarts (docs/usage.md, "Rotating the
 * cluster secret", issue 21 finding 2): four real `graph-presence` processes over a test-owned
 * redis-server, one on each phase,
 *
 *   phase 0: the old key alone;
 *   phase 1: signs with the old key, also accepts the new one (--cluster-secret-next);
 *   phase 2: signs with the new key, also accepts the old one (--cluster-secret-previous);
 *   phase 3: the new key alone,
 *
 * with a user on each. A node sees, and is seen by, the nodes one phase away on either side: a
 * rolling restart from one phase to the next never splits the cluster, whichever node goes first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { connectClient, type WatchedClient } from '../cli/support/presence-clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { unauthenticatedDrops } from './support/unauthenticated-drops.js';

const JWT_SECRET = 'rotation-test-jwt-secret-of-32-bytes';
const ADMIN_TOKEN = 'rotation-test-admin-token';
const OLD = 'the-old-cluster-secret-of-32-bytes!!';
const NEW = 'the-new-cluster-secret-of-32-bytes!!';

const PHASES: ReadonlyArray<Record<string, string>> = [
  { PRESENCE_CLUSTER_SECRET: OLD },
  { PRESENCE_CLUSTER_SECRET: OLD, PRESENCE_CLUSTER_SECRET_NEXT: NEW },
  { PRESENCE_CLUSTER_SECRET: NEW, PRESENCE_CLUSTER_SECRET_PREVIOUS: OLD },
  { PRESENCE_CLUSTER_SECRET: NEW },
];
/** The user connected to the node on each phase. */
const USERS = ['alice', 'bob', 'carol', 'dave'];

let redis: RedisServer;
const nodes: Array<Awaited<ReturnType<typeof startCli>>> = [];
const clients: WatchedClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  const args = (phase: number) => [
    ...['--port', '0', '--redis', redis.url, '--node-name', `phase-${phase}`, '--demo'],
    ...['--jwt-secret', JWT_SECRET, '--admin-token', ADMIN_TOKEN],
    ...['--broadcast-period-ms', '100', '--down-period-ms', '60000'],
    ...['--permdown-period-ms', '120000'],
  ];
  nodes.push(...(await Promise.all(PHASES.map((env, phase) => startCli(args(phase), { ...env })))));
  for (const [phase, node] of nodes.entries()) {
    clients.push(await connectClient(node.url, USERS[phase] as string));
  }
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.client.disconnect();
  await Promise.all(nodes.map((node) => stopCli(node.run)));
  killAll();
  await redis?.dispose();
});

async function onlineAt(url: string): Promise<Record<string, boolean>> {
  const response = await fetch(`${url}/admin/presence?users=${USERS.join(',')}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = (await response.json()) as { users: Record<string, { online: boolean }> };
  return Object.fromEntries(USERS.map((user) => [user, body.users[user]?.online === true]));
}

describe('a cluster secret rotation, one node on each phase', () => {
  it('every node sees the users of the nodes one phase away, both ways', async () => {
    const neighbours = (phase: number) =>
      USERS.filter((_user, other) => Math.abs(other - phase) <= 1);
    await waitFor(
      async () => {
        const views = await Promise.all(nodes.map((node) => onlineAt(node.url)));
        return views.every((view, phase) => neighbours(phase).every((user) => view[user]));
      },
      { timeoutMs: 60_000, description: 'each node sees its neighbours’ users' },
    );
    for (const [phase, node] of nodes.entries()) {
      const view = await onlineAt(node.url);
      for (const user of neighbours(phase))
        expect([phase, user, view[user]]).toEqual([phase, user, true]);
    }
  }, 90_000);

  it('no node drops a frame as unauthenticated: each reads only channels of keys it accepts', async () => {
    // Phase 0 and phase 3 share no key: they listen on different channels (the default prefix
    // follows the key), so they never meet, and never even read each other's frames.
    const view0 = await onlineAt(nodes[0]?.url as string);
    const view3 = await onlineAt(nodes[3]?.url as string);
    expect([view0['dave'], view3['alice']]).toEqual([false, false]);
    const drops = await Promise.all(
      nodes.map((node) => unauthenticatedDrops(node.url, ADMIN_TOKEN)),
    );
    expect(drops).toEqual([0, 0, 0, 0]);
  });
});
