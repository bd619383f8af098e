/**
 * Redis with failover: two real CLI nodes on `redis-sentinel://` (bus, last-seen store and the
 * Redis friends graph all through Sentinel) over a real master, two replicas and three
 * `redis-sentinel`s. The master is SIGKILLed, Sentinel promotes the replica, and the nodes
 * follow it: presence tracked before the failover and presence, graph edges and last seen made
 * after it are visible on both nodes. Then a graceful failover (SENTINEL FAILOVER) to the other
 * replica, the master alive, which the nodes follow too.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisFriendsGraph } from '../../graph-adapters/redis/index.js';
import { type SentinelGroup, startSentinelGroup } from '../support/redis-sentinel-group.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { type CliRun, killAll, startCli, stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';
import { TEST_CLUSTER_SECRET } from './support/two-nodes.js';

const JWT_SECRET = 'sentinel-failover-test-jwt-secret-32-bytes';
const ADMIN_TOKEN = 'sentinel-failover-admin-token';

interface Node {
  readonly run: CliRun;
  readonly url: string;
}

let group: SentinelGroup;
let graph: RedisFriendsGraph;
let nodes: Node[] = [];
const clients: WatchedClient[] = [];

beforeAll(async () => {
  group = await startSentinelGroup();
  // The graph adapter itself reaches the master through the Sentinels.
  // Its reconnect errors during the failover are expected; the test waits for outcomes.
  graph = await RedisFriendsGraph.connect({ url: group.url, onError: () => {} });
  for (const friend of ['bob', 'carol', 'dave']) await graph.addEdge('alice', friend);
  // Replication is asynchronous: the edges survive the master once the replicas have them.
  for (const replica of group.replicas) await waitForFriends(replica, ['bob', 'carol', 'dave']);
  const args = (name: string) => [
    ...['--port', '0', '--node-name', name, '--demo', '--jwt-secret', JWT_SECRET],
    ...['--redis', group.url, '--graph', group.url, '--admin-token', ADMIN_TOKEN],
    ...['--broadcast-period-ms', '100', '--down-period-ms', '60000'],
    ...['--permdown-period-ms', '120000', '--leave-grace-ms', '0', '--offline-delay-ms', '50'],
  ];
  const env = { PRESENCE_CLUSTER_SECRET: TEST_CLUSTER_SECRET };
  nodes = await Promise.all([startCli(args('node-1'), env), startCli(args('node-2'), env)]);
  await waitFor(async () => (await Promise.all(nodes.map(seesOtherNodeUp))).every(Boolean), {
    timeoutMs: 20_000,
    description: 'each node sees the other up over the Sentinel-managed bus',
  });
}, 90_000);

afterAll(async () => {
  // The servers go whatever else fails here: a leaked Sentinel would outlive the run.
  try {
    for (const watched of clients) watched.client.disconnect();
    await Promise.all(nodes.map((node) => stopCli(node.run)));
    killAll();
    await graph?.close();
  } finally {
    await group?.dispose();
  }
}, 30_000);

/** Waits until `server` (a replica) holds exactly these friends of alice. */
async function waitForFriends(server: RedisServer, friends: string[]): Promise<void> {
  const client = new Redis(server.url);
  try {
    await waitFor(
      async () =>
        (await client.smembers(graph.keys.friendsKey('alice'))).sort().join() === friends.join(),
      { description: `alice's friends ${friends.join()} on port ${server.port}` },
    );
  } finally {
    client.disconnect();
  }
}

async function seesOtherNodeUp(node: Node): Promise<boolean> {
  const health = (await (await fetch(`${node.url}/healthz`)).json()) as {
    replicas: { up: number };
  };
  return health.replicas.up === 1;
}

async function connect(node: Node, user: string, device: string): Promise<WatchedClient> {
  const watched = await connectClient(node.url, user, { device });
  clients.push(watched);
  return watched;
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

const linkUps = (node: Node) => count(node.run.stderr, 'node bus: Redis link up');
const linkDowns = (node: Node) => count(node.run.stderr, 'node bus: Redis link down');

interface AdminUser {
  readonly online: boolean;
  readonly lastSeen: number | null;
}

async function adminPresence(node: Node, users: string[]): Promise<Record<string, AdminUser>> {
  const response = await fetch(`${node.url}/admin/presence?users=${users.join(',')}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (!response.ok) throw new Error(`/admin/presence: HTTP ${response.status}`);
  return ((await response.json()) as { users: Record<string, AdminUser> }).users;
}

/** Each node's `/readyz` status. */
async function readiness(): Promise<number[]> {
  return Promise.all(
    nodes.map((node) =>
      fetch(`${node.url}/readyz`).then(
        (response) => response.status,
        () => 0,
      ),
    ),
  );
}

/** Every node's admin view and every watcher's SDK view show exactly `online` among `users`. */
async function converged(watchers: WatchedClient[], users: string[], online: string[]) {
  for (const watcher of watchers) {
    const seen = watcher.users().filter((user) => users.includes(user));
    if (seen.join() !== [...online].sort().join()) return false;
  }
  for (const node of nodes) {
    const view = await adminPresence(node, users);
    for (const user of users) if (view[user]?.online !== online.includes(user)) return false;
  }
  return true;
}

describe('two nodes on redis-sentinel:// through failovers', () => {
  it('keep presence from before a killed master and carry presence, graph edits and last seen after it, and after a graceful failover', async () => {
    // alice watches from both nodes; bob and carol arrive before the failover, one per node.
    const watchers = [
      await connect(nodes[0]!, 'alice', 'a1'),
      await connect(nodes[1]!, 'alice', 'a2'),
    ];
    await connect(nodes[0]!, 'bob', 'b1');
    const carol = await connect(nodes[1]!, 'carol', 'c1');
    const friends = ['bob', 'carol', 'dave', 'erin'];
    await waitFor(() => converged(watchers, friends, ['bob', 'carol']), {
      timeoutMs: 15_000,
      description: 'both nodes see bob and carol before the failover',
    });
    expect(await group.agreedMasterPort()).toBe(group.master.port);
    await waitFor(async () => (await readiness()).every((status) => status === 200), {
      timeoutMs: 15_000,
      description: '/readyz 200 on both nodes before the failover',
    });

    // Two of three Sentinels frozen: no quorum, so the outage lasts while /readyz is watched.
    group.freezeSentinel(1, true);
    group.freezeSentinel(2, true);
    await group.master.stop({ signal: 'SIGKILL' });
    await waitFor(async () => (await readiness()).every((status) => status === 503), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: '/readyz 503 on both nodes while the bus is down',
    });
    group.freezeSentinel(1, false);
    group.freezeSentinel(2, false);
    const [promoted, standby] = group.replicas;
    await waitFor(async () => (await group.agreedMasterPort()) === promoted.port, {
      timeoutMs: 45_000,
      intervalMs: 200,
      description: 'the Sentinels promote the replica',
    });
    // Both nodes lost the bus with the master, and found it again on the promoted replica.
    await waitFor(() => nodes.every((node) => linkUps(node) === 2 && linkDowns(node) === 1), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: "both nodes' bus links down and back up",
    });
    await waitFor(async () => (await readiness()).every((status) => status === 200), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: '/readyz 200 on both nodes after the failover',
    });

    // After the failover: dave arrives on node 2, a new friend erin (edge written through the
    // Sentinels to the new master; its change reaches both nodes' graph feed) on node 1.
    await connect(nodes[1]!, 'dave', 'd1');
    // The test's own graph client may still be reconnecting: a call times out until it has.
    await waitFor(() => graph.addEdge('alice', 'erin').then(() => true), {
      timeoutMs: 20_000,
      description: 'the edge alice–erin written to the new master',
    });
    const erin = await connect(nodes[0]!, 'erin', 'e1');
    await waitFor(() => converged(watchers, friends, ['bob', 'carol', 'dave', 'erin']), {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: 'both nodes see bob and carol (before) and dave and erin (after)',
    });

    // carol leaves after the failover: offline on both nodes, her last seen in the new master.
    carol.client.disconnect();
    await waitFor(
      async () => {
        if (!(await converged(watchers, friends, ['bob', 'dave', 'erin']))) return false;
        const views = await Promise.all(nodes.map((node) => adminPresence(node, ['carol'])));
        return (
          views.every((view) => typeof view['carol']?.lastSeen === 'number') &&
          watchers.every((watcher) => typeof watcher.client.lastSeenOf('carol') === 'number')
        );
      },
      {
        timeoutMs: 20_000,
        intervalMs: 50,
        description: 'carol offline with a last seen on both nodes',
      },
    );

    await waitForFriends(standby, ['bob', 'carol', 'dave', 'erin']);
    // A graceful failover: the other replica is promoted while the current master stays up.
    // Sentinel drops the demoted master's clients, so every connection moves (a publisher left
    // on the demoted master would reach only its subscribers, and writes there fail).
    await waitFor(() => group.isHealthyReplica(standby.port), {
      timeoutMs: 45_000,
      intervalMs: 200,
      description: 'the other replica following the new master',
    });
    await waitFor(() => group.requestFailover().then(() => true), {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'SENTINEL FAILOVER accepted',
    });
    await waitFor(async () => (await group.agreedMasterPort()) === standby.port, {
      timeoutMs: 45_000,
      intervalMs: 200,
      description: 'the Sentinels promote the other replica',
    });
    await waitFor(() => nodes.every((node) => linkUps(node) === 3 && linkDowns(node) === 2), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: "both nodes' bus links moved to the new master",
    });
    // erin leaves node 1 (seen on node 2, last seen written to the new master) and a new friend,
    // frank, arrives on node 2 (seen on node 1).
    await waitFor(() => graph.addEdge('alice', 'frank').then(() => true), {
      timeoutMs: 20_000,
      description: 'the edge alice–frank written to the new master',
    });
    await connect(nodes[1]!, 'frank', 'f1');
    erin.client.disconnect();
    const everyone = [...friends, 'frank'];
    await waitFor(
      async () => {
        if (!(await converged(watchers, everyone, ['bob', 'dave', 'frank']))) return false;
        const views = await Promise.all(nodes.map((node) => adminPresence(node, ['erin'])));
        return views.every((view) => typeof view['erin']?.lastSeen === 'number');
      },
      {
        timeoutMs: 30_000,
        intervalMs: 50,
        description: 'both nodes see erin gone with a last seen, and frank',
      },
    );
    for (const node of nodes) expect(node.run.child.exitCode).toBeNull();
  }, 240_000);
});
