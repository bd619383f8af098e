/**
 * The presence query on two `graph-presence` processes over a real redis-server (demo graph:
 * alice–bob, alice–carol, bob–carol, bob–dave): `GET /admin/presence` on either node answers
 * every node's presences, the backend's view hides the invisible user, and the answer `as` a
 * user equals what that user's own SDK clients show, on both nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeviceKind } from '../../src/domain/device-kind.js';
import { waitFor } from '../support/wait-for.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { type CliNode, startTwoNodes, type TwoNodes } from './support/two-nodes.js';

const SECRET = 'query-cluster-test-secret-of-32-bytes';
const ADMIN = 'query-admin-token-0123456789';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const WAIT = { timeoutMs: 10_000 };

async function query(url: string, as?: string): Promise<Record<string, unknown>> {
  const path = `/admin/presence?users=${USERS.join(',')}${as === undefined ? '' : `&as=${as}`}`;
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { users: Record<string, unknown> }).users;
}

const rank = (s: string) => (s === 'online' ? 0 : s === 'away' ? 1 : 2);
const strongest = (statuses: string[]) =>
  [...statuses].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))[0]!;

/** What `client` shows of every user, in the query's shape. */
function shown(client: WatchedClient): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const user of USERS) {
    const metas = client.client.get(user)?.metas ?? [];
    if (metas.length === 0) {
      out[user] = { online: false, status: 'offline', devices: {}, lastSeen: null };
      continue;
    }
    const byDevice = new Map<string, string[]>();
    for (const meta of metas) {
      const device = isDeviceKind(meta.kind) ? meta.kind : 'other';
      byDevice.set(device, [...(byDevice.get(device) ?? []), String(meta.status)]);
    }
    out[user] = {
      online: true,
      status: strongest(metas.map((m) => String(m.status))),
      devices: Object.fromEntries([...byDevice].map(([d, s]) => [d, strongest(s)])),
      lastSeen: null,
    };
  }
  return out;
}

describe('the presence query on a cluster of two graph-presence nodes over Redis', () => {
  let cluster: TwoNodes;
  let node1: CliNode;
  let node2: CliNode;
  const clients: WatchedClient[] = [];

  beforeAll(async () => {
    cluster = await startTwoNodes({ secret: SECRET, extraArgs: ['--admin-token', ADMIN] });
    ({ node1, node2 } = cluster);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.client.disconnect();
    await cluster?.stop();
  });

  it('answers the same on both nodes, as the backend and as each user’s own clients', async () => {
    const aliceWeb = await connectClient(node1.url, 'alice', { kind: 'web' });
    const alicePhone = await connectClient(node2.url, 'alice', { kind: 'mobile' });
    const bob = await connectClient(node2.url, 'bob', { kind: 'desktop' });
    const carol = await connectClient(node1.url, 'carol', { kind: 'web' });
    const dave = await connectClient(node2.url, 'dave', { kind: 'mobile' });
    clients.push(aliceWeb, alicePhone, bob, carol, dave);
    await alicePhone.client.setStatus('away');
    await bob.client.setStatus('busy');
    await carol.client.setInvisible(true);

    const backend = {
      alice: {
        online: true,
        status: 'online',
        devices: { web: 'online', mobile: 'away' },
        lastSeen: null,
      },
      bob: { online: true, status: 'busy', devices: { desktop: 'busy' }, lastSeen: null },
      carol: { online: false, status: 'offline', devices: {}, lastSeen: null },
      dave: { online: true, status: 'online', devices: { mobile: 'online' }, lastSeen: null },
      erin: { online: false, status: 'offline', devices: {}, lastSeen: null },
    };
    for (const node of [node1, node2]) {
      await waitFor(
        async () => {
          expect(await query(node.url)).toEqual(backend);
          return true;
        },
        { ...WAIT, description: `${node.url} answers every node's presences` },
      );
    }
    // Each user's clients, on either node, show what the query as that user answers on both.
    for (const client of clients) {
      for (const node of [node1, node2]) {
        await waitFor(
          async () => {
            expect(await query(node.url, client.user)).toEqual(shown(client));
            return true;
          },
          { ...WAIT, description: `${client.user}'s view on ${node.url}` },
        );
      }
    }
    // carol, invisible, sees herself; alice (her friend) does not; dave is not alice's friend.
    expect((await query(node2.url, 'carol'))['carol']).toMatchObject({ online: true });
    expect((await query(node2.url, 'alice'))['carol']).toMatchObject({ online: false });
    expect((await query(node1.url, 'alice'))['dave']).toMatchObject({ online: false });
    expect((await query(node1.url, 'bob'))['dave']).toMatchObject({ online: true });
  });
});
