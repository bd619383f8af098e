/**
 * Keeping clusters apart on one Redis, and no unauthenticated bus by accident (issue 21, finding
 * 4): real `graph-presence` processes over a test-owned redis-server (pub/sub ignores the database
 * number, so clusters on one Redis share its channels unless their prefixes differ).
 *
 * - `PRESENCE_CLUSTER_SECRET=""` (set but empty) is exit 2 with one line naming the variable.
 * - Two clusters without secrets, one with `--channel-prefix`, the other with
 *   `PRESENCE_CHANNEL_PREFIX`: neither sees the other's users or nodes.
 * - Two clusters with different secrets and no prefix: the default prefix is derived from the
 *   secret, so neither even reads the other's frames (no unauthenticated drop is counted).
 *
 * alice, bob and carol are friends in the demo graph; bob is always in the other cluster, carol
 * on alice's cluster's second node is the marker that the cluster works.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/transports/bus-envelope.js';
import { killAll, runCli, startCli, stopCli } from '../cli/support/cli-process.js';
import { connectClient } from '../cli/support/presence-clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { unauthenticatedDrops } from './support/unauthenticated-drops.js';

const JWT_SECRET = 'isolation-test-jwt-secret-of-32-bytes';
const ADMIN_TOKEN = 'isolation-test-admin-token';
const SECRET_X = 'cluster-x-secret-of-at-least-32-bytes';
const SECRET_Y = 'cluster-y-secret-of-at-least-32-bytes';
const WAIT = { timeoutMs: 30_000 };

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  killAll();
});

async function redisServer(): Promise<RedisServer> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.dispose());
  return redis;
}

async function startNode(
  redis: RedisServer,
  name: string,
  env: Record<string, string>,
  extraArgs: readonly string[] = [],
) {
  const node = await startCli(
    [
      ...['--port', '0', '--redis', redis.url, '--node-name', name, '--demo'],
      ...['--jwt-secret', JWT_SECRET, '--admin-token', ADMIN_TOKEN],
      ...['--broadcast-period-ms', '100', '--down-period-ms', '60000'],
      ...['--permdown-period-ms', '120000', ...extraArgs],
    ],
    env,
  );
  cleanups.push(() => stopCli(node.run));
  return node;
}

/** Senders of every envelope published on this Redis, in order. */
async function recordSenders(redis: RedisServer) {
  const recorder = new Redis(redis.url);
  cleanups.push(() => recorder.disconnect());
  const senders: string[] = [];
  recorder.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
    const envelope = decodeEnvelope(message);
    if (envelope.ok) senders.push(envelope.sender);
  });
  await recorder.psubscribe('*');
  /** Waits for a frame of `sender` published from now on (while the nodes up now listen). */
  const nextFrom = async (sender: string) => {
    const mark = senders.length;
    await waitFor(() => senders.slice(mark).includes(sender), {
      ...WAIT,
      description: `a frame of ${sender}`,
    });
  };
  return { nextFrom };
}

async function connect(url: string, user: string) {
  const client = await connectClient(url, user);
  cleanups.push(() => client.client.disconnect());
  return client;
}

async function replicasUp(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as { replicas: { up: number } };
  return health.replicas.up;
}

describe('an empty cluster secret', () => {
  it('PRESENCE_CLUSTER_SECRET="" is exit 2 with one line naming it, not an unauthenticated bus', async () => {
    const redis = await redisServer();
    const run = runCli(['--port', '0', '--demo', '--redis', redis.url], {
      PRESENCE_CLUSTER_SECRET: '',
    });
    cleanups.push(() => stopCli(run));
    let exited = false;
    void run.exited.then(() => {
      exited = true;
    });
    await waitFor(() => exited || run.url() !== undefined, {
      ...WAIT,
      description: 'exit or listen',
    });
    expect(run.url()).toBeUndefined();
    expect((await run.exited).code).toBe(2);
    expect(run.plainStderrLines()).toEqual([
      expect.stringMatching(/PRESENCE_CLUSTER_SECRET is set but empty/),
    ]);
  }, 90_000);
});

describe('two clusters on one Redis', () => {
  it('without secrets, --channel-prefix and PRESENCE_CHANNEL_PREFIX keep them apart', async () => {
    const redis = await redisServer();
    const { nextFrom } = await recordSenders(redis);
    const a1 = await startNode(redis, 'a1', {}, ['--channel-prefix', 'cluster-a']);
    const b1 = await startNode(redis, 'b1', { PRESENCE_CHANNEL_PREFIX: 'cluster-b' });
    const bob = await connect(b1.url, 'bob');
    const alice = await connect(a1.url, 'alice');
    // A frame of the other cluster published while a1 listens (bob's join, or a heartbeat).
    await nextFrom('b1');
    const a2 = await startNode(redis, 'a2', { PRESENCE_CHANNEL_PREFIX: 'cluster-a' });
    await connect(a2.url, 'carol');
    await waitFor(() => alice.users().includes('carol'), { ...WAIT, description: 'the marker' });
    expect(alice.users()).toEqual(['alice', 'carol']);
    expect(bob.users()).toEqual(['bob']);
    expect([await replicasUp(a1.url), await replicasUp(b1.url)]).toEqual([1, 0]);
  }, 90_000);

  it('with different secrets and no prefix, neither reads the other’s frames', async () => {
    const redis = await redisServer();
    const { nextFrom } = await recordSenders(redis);
    const y1 = await startNode(redis, 'y1', { PRESENCE_CLUSTER_SECRET: SECRET_Y });
    const x1 = await startNode(redis, 'x1', { PRESENCE_CLUSTER_SECRET: SECRET_X });
    const bob = await connect(y1.url, 'bob');
    const alice = await connect(x1.url, 'alice');
    // A frame of cluster y published while x1 listens (bob's join, or a heartbeat).
    await nextFrom('y1');
    const x2 = await startNode(redis, 'x2', { PRESENCE_CLUSTER_SECRET: SECRET_X });
    await connect(x2.url, 'carol');
    await waitFor(() => alice.users().includes('carol'), { ...WAIT, description: 'the marker' });
    expect(alice.users()).toEqual(['alice', 'carol']);
    expect(bob.users()).toEqual(['bob']);
    expect(
      await Promise.all([x1, x2, y1].map((node) => unauthenticatedDrops(node.url, ADMIN_TOKEN))),
    ).toEqual([0, 0, 0]);
    // Each cluster on channels of its own: nothing in common between x1's and y1's.
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.disconnect());
    const channels = (await admin.pubsub('CHANNELS', '*')) as string[];
    const prefixes = new Set(channels.map((channel) => channel.split(':')[0]));
    expect(prefixes.size).toBe(2);
    for (const prefix of prefixes) expect(prefix).toMatch(/^graph-presence-[0-9a-f]{12}$/);
  }, 90_000);
});
