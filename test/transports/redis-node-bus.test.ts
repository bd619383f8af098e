import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisBusChannel } from '../../load/support/bus-channel.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { ReplicationTransport } from '../../src/ports/bus-channel.js';
import type { Logger } from '../../src/ports/logger.js';
import { createRedisNodeBus } from '../../src/transports/redis-node-bus.js';
import { describeTransportContract } from '../contracts/replication-transport.contract.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { fastReconnect, redisTestBed } from './redis-test-bed.js';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url, { ...fastReconnect, lazyConnect: true });
  admin.on('error', () => {});
});

afterAll(async () => {
  admin?.disconnect();
  await server?.dispose();
});

describeTransportContract('redis', () => redisTestBed(() => server));

describe('redis node bus', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const prefix = () => `test-${randomUUID()}`;

  /** A transport on owned connections, closed after the test. */
  async function open(selfId: string, channelPrefix: string, logger?: Logger) {
    const transport = redisBusChannel({
      selfId,
      url: server.url,
      channelPrefix,
      redisOptions: fastReconnect,
      ...(logger ? { logger } : {}),
    });
    cleanups.push(() => transport.close());
    await waitFor(() => transport.isLinkUp(), { description: `${selfId} link up` });
    return transport;
  }

  function record(transport: ReplicationTransport): string[] {
    const frames: string[] = [];
    transport.onFrame((frame) => frames.push(Buffer.from(frame).toString()));
    return frames;
  }

  afterEach(async () => {
    if (!server.isRunning()) await server.start();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('refuses one connection as both publisher and subscriber', () => {
    const client = new Redis(server.url, { lazyConnect: true });
    expect(() => redisBusChannel({ selfId: 'a', publisher: client, subscriber: client })).toThrow(
      InvalidOptionError,
    );
  });

  it('never closes injected clients and leaves their other subscriptions alone', async () => {
    const channelPrefix = prefix();
    const publisher = new Redis(server.url);
    const subscriber = new Redis(server.url);
    cleanups.push(() => Promise.all([publisher.quit(), subscriber.quit()]));
    const appMessages: string[] = [];
    await subscriber.subscribe('app-channel');
    subscriber.on('message', (_channel, message) => appMessages.push(message));
    const listenersBefore = subscriber.listenerCount('messageBuffer');

    const a = redisBusChannel({ selfId: 'a', publisher, subscriber, channelPrefix });
    const b = await open('b', channelPrefix);
    await waitFor(() => a.isLinkUp(), { description: 'a link up' });
    const atB = record(b);
    a.broadcast(Buffer.from('from injected'));
    await waitFor(() => atB.length === 1, { description: 'the frame' });

    await a.close();
    expect(publisher.status).toBe('ready');
    expect(subscriber.status).toBe('ready');
    expect(subscriber.listenerCount('messageBuffer')).toBe(listenersBefore);
    await waitFor(
      async () => {
        const counts = await publisher.pubsub('NUMSUB', `${channelPrefix}:to:a`);
        return counts[1] === 0;
      },
      { description: 'a unsubscribed' },
    );
    await publisher.publish('app-channel', 'still mine');
    await waitFor(() => appMessages.includes('still mine'), { description: 'app message' });
  });

  it('closes the connections it opened', async () => {
    const channelPrefix = prefix();
    const a = await open('a', channelPrefix);
    const names = async () => {
      const list = (await admin.client('LIST')) as string;
      return [...list.matchAll(/ name=(\S+)/g)].map((match) => match[1]);
    };
    expect(await names()).toEqual(
      expect.arrayContaining([`${channelPrefix}:a:pub`, `${channelPrefix}:a:sub`]),
    );
    await a.close();
    await waitFor(async () => !(await names()).some((name) => name?.startsWith(channelPrefix)), {
      description: 'connections gone',
    });
  });

  it('drops and counts frames without a valid envelope, logs each reason once, and keeps working', async () => {
    const channelPrefix = prefix();
    const warnings: object[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (obj) => warnings.push(obj),
      error: () => {},
    };
    const bus = createRedisNodeBus({
      selfId: 'a',
      url: server.url,
      channelPrefix,
      redisOptions: fastReconnect,
      logger,
    });
    cleanups.push(() => bus.close());
    const a = bus.channel('tracker');
    await waitFor(() => a.isLinkUp(), { description: 'a link up' });
    const sender = await open('sender', channelPrefix);
    const atA = record(a);
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([5, 0x61]),
      Buffer.from([0, 1, 2]),
      Buffer.from([3, 0xff, 0xfe, 1]),
    ];
    for (const bytes of garbage) await admin.publish(`${channelPrefix}:bcast`, bytes);
    await admin.publish(`${channelPrefix}:to:a`, Buffer.from([200]));
    await promisify(execFile)('redis-cli', [
      '-p',
      String(server.port),
      'PUBLISH',
      `${channelPrefix}:bcast`,
      'garbage from redis-cli',
    ]);
    await waitFor(() => bus.stats().framesDroppedMalformed === 6, { description: 'six drops' });
    // Rate limited: one line per reason (an empty message, then five of an unknown version).
    expect(warnings).toEqual([
      expect.objectContaining({ reason: 'too-short' }),
      expect.objectContaining({ reason: 'unknown-version' }),
    ]);
    sender.broadcast(Buffer.from('valid'));
    await waitFor(() => atA.length === 1, { description: 'the valid frame' });
    expect(atA).toEqual(['valid']);
  });

  it('rotates the cluster secret: new-key nodes reach old+new ones, old-key ones only those', async () => {
    const channelPrefix = prefix();
    const [NEW, OLD] = [
      'the-new-cluster-secret-of-32-bytes!',
      'the-old-cluster-secret-of-32-bytes!',
    ];
    const bus = (selfId: string, clusterSecret: string, previousClusterSecret?: string) => {
      const opened = createRedisNodeBus({
        selfId,
        url: server.url,
        channelPrefix,
        redisOptions: fastReconnect,
        clusterSecret,
        previousClusterSecret,
      });
      cleanups.push(() => opened.close());
      return opened;
    };
    const signsNew = bus('a', NEW);
    const rotating = bus('b', NEW, OLD);
    const signsOld = bus('c', OLD);
    await waitFor(() => [signsNew, rotating, signsOld].every((b) => b.isLinkUp()));
    const atRotating = record(rotating.channel('tracker'));
    const atNew = record(signsNew.channel('tracker'));
    signsNew.channel('tracker').sendTo('b', Buffer.from('new'));
    signsOld.channel('tracker').sendTo('b', Buffer.from('old'));
    await waitFor(() => atRotating.length === 2, { description: 'both keys accepted' });
    expect(atRotating.sort()).toEqual(['new', 'old']);
    signsOld.channel('tracker').sendTo('a', Buffer.from('old to a'));
    await waitFor(() => signsNew.stats().framesDroppedUnauthenticated === 1, {
      description: 'the old-key frame dropped at a',
    });
    rotating.channel('tracker').sendTo('a', Buffer.from('marker'));
    await waitFor(() => atNew.length === 1, { description: 'the marker' });
    expect(atNew).toEqual(['marker']);
  });

  it('replication networks with different prefixes do not hear each other', async () => {
    const [first, second] = [prefix(), prefix()];
    const a1 = await open('a', first);
    const b1 = await open('b', first);
    const a2 = await open('a', second);
    const b2 = await open('b', second);
    const [atB1, atB2] = [record(b1), record(b2)];
    a1.broadcast(Buffer.from('first broadcast'));
    a1.sendTo('b', Buffer.from('first direct'));
    await waitFor(() => atB1.length === 2, { description: 'first network' });
    // Published after the first network's frames were delivered: they would have come first.
    a2.sendTo('b', Buffer.from('second direct'));
    await waitFor(() => atB2.length === 1, { description: 'second network' });
    expect(atB1).toEqual(['first broadcast', 'first direct']);
    expect(atB2).toEqual(['second direct']);
  });

  it.each(['pub', 'sub'])('goes down and up when only the %s connection drops', async (role) => {
    const channelPrefix = prefix();
    const a = await open('a', channelPrefix);
    const b = await open('b', channelPrefix);
    const events: boolean[] = [];
    a.onLinkChange((up) => events.push(up));
    const list = (await admin.client('LIST')) as string;
    const id = new RegExp(`id=(\\d+) .* name=${channelPrefix}:a:${role} `).exec(list)?.[1];
    expect(id).toBeDefined();
    await admin.client('KILL', 'ID', id!);
    await waitFor(() => events.length === 2, { description: 'down then up' });
    expect(events).toEqual([false, true]);
    // Both directions work again: the subscriber re-subscribed, the publisher reconnected.
    const [atA, atB] = [record(a), record(b)];
    b.sendTo('a', Buffer.from('to a'));
    a.sendTo('b', Buffer.from('to b'));
    await waitFor(() => atA.length === 1 && atB.length === 1, { description: 'both frames' });
  });

  it('survives a SIGKILLed Redis and starts with the link down while Redis is away', async () => {
    const channelPrefix = prefix();
    const a = await open('a', channelPrefix);
    await server.stop({ signal: 'SIGKILL' });
    await waitFor(() => !a.isLinkUp(), { description: 'a down' });
    const late = redisBusChannel({
      selfId: 'late',
      url: server.url,
      channelPrefix,
      redisOptions: fastReconnect,
    });
    cleanups.push(() => late.close());
    expect(late.isLinkUp()).toBe(false);
    await server.start();
    await waitFor(() => a.isLinkUp() && late.isLinkUp(), { timeoutMs: 10_000, description: 'up' });
    const atLate = record(late);
    a.broadcast(Buffer.from('after restart'));
    await waitFor(() => atLate.length === 1, { description: 'the frame' });
  });
});
