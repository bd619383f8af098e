/**
 * deploy/nginx/graph-presence.conf with real processes: two CLI nodes on a test-owned
 * redis-server behind Debian's nginx (loopback ports, a self-signed certificate made here, the
 * shipped directives with only ports, certificate paths and upstreams replaced). nginx balances
 * round-robin without stickiness; SDK clients connect over TLS through it, land on both nodes,
 * and each sees exactly its friends, wherever they landed. And `nginx -t` passes on the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { createPresenceToken } from '../../src/index.js';
import { type CliRun, killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import {
  mainConfig,
  nginxTest,
  type RunningNginx,
  type SelfSigned,
  SHIPPED_SITE,
  selfSignedCertificate,
  startNginx,
  templateSite,
} from './support/nginx.js';

const JWT_SECRET = 'deploy-nginx-test-jwt-secret-of-32-bytes';
const CLUSTER_SECRET = 'deploy-nginx-test-cluster-secret-of-32-bytes';

/**
 * Who each connected user sees besides themself: friends in the CLI's built-in demo graph
 * (graph-adapters/graphology/demo-graph.ts), among the users connected here.
 */
const FRIENDS: Readonly<Record<string, readonly string[]>> = {
  alice: ['bob', 'carol'],
  bob: ['alice', 'carol', 'dave'],
  carol: ['alice', 'bob'],
  dave: ['bob', 'erin'],
  erin: ['dave', 'frank'],
  frank: ['erin'],
};
const USERS = Object.keys(FRIENDS);

describe('nginx -t', () => {
  it('passes on the shipped file, with a certificate where it names one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presence-nginx-t-'));
    try {
      const tls = selfSignedCertificate(dir);
      const shipped = readFileSync(SHIPPED_SITE, 'utf8');
      const site = join(dir, 'site.conf');
      // Only the certificate paths change: /etc/nginx/tls is not the test's to write.
      writeFileSync(
        site,
        shipped
          .replace('/etc/nginx/tls/graph-presence.crt', tls.cert)
          .replace('/etc/nginx/tls/graph-presence.key', tls.key),
      );
      const main = join(dir, 'nginx.conf');
      writeFileSync(main, mainConfig(dir, site));
      const result = nginxTest(main);
      expect(result.output).toContain('syntax is ok');
      expect(result.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('balances round-robin without sticky sessions, upgrading websockets', () => {
    const shipped = readFileSync(SHIPPED_SITE, 'utf8');
    const directives = shipped.replace(/#.*$/gm, '');
    expect(directives).not.toMatch(/\b(ip_hash|hash|sticky|least_conn|random)\b/);
    expect(directives).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(directives).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(directives).toMatch(/proxy_http_version 1\.1;/);
  });

  it('the template replaces only ports, certificate paths and upstreams', () => {
    const shipped = readFileSync(SHIPPED_SITE, 'utf8');
    const templated = templateSite({
      httpPort: 1,
      httpsPort: 2,
      cert: '/c',
      key: '/k',
      upstreams: ['127.0.0.1:3', '127.0.0.1:4'],
    });
    const changed = (text: string) =>
      text
        .split('\n')
        .filter((line) => !/listen |ssl_certificate|^\s*server 127\.0\.0\.1:/.test(line));
    expect(changed(templated)).toEqual(changed(shipped));
  });
});

describe('two CLI nodes behind nginx, TLS, round-robin, no stickiness', () => {
  let redis: RedisServer;
  const nodes: { run: CliRun; url: string }[] = [];
  let nginx: RunningNginx & { tls: SelfSigned };
  const clients = new Map<string, PresenceClient>();

  beforeAll(async () => {
    redis = await startRedisServer();
    for (const name of ['presence-1', 'presence-2']) {
      nodes.push(
        await startCli(['--port', '0', '--redis', redis.url, '--trust-forwarded-for'], {
          PRESENCE_NODE_NAME: name,
          PRESENCE_JWT_SECRET: JWT_SECRET,
          PRESENCE_CLUSTER_SECRET: CLUSTER_SECRET,
        }),
      );
    }
    nginx = await startNginx(nodes.map((node) => new URL(node.url).host));
  }, 60_000);

  afterAll(async () => {
    for (const client of clients.values()) client.disconnect();
    await nginx?.stop();
    await Promise.all(nodes.map((node) => stopCli(node.run)));
    await redis?.dispose();
    killAll();
  });

  it('plain HTTP is redirected to HTTPS', async () => {
    const response = await fetch(`${nginx.httpUrl}/healthz`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toMatch(/^https:\/\//);
  });

  it('a client on long polling alone cannot connect: round-robin needs the websocket', async () => {
    // Its handshake lands on one node and its next request on the other, which knows no such
    // session: what docs/usage.md says needs sticky sessions.
    const client = createPresenceClient(nginx.httpsUrl, {
      token: await createPresenceToken({ secret: JWT_SECRET, userId: 'judy' }),
      socketOptions: {
        forceNew: true,
        reconnection: false,
        transports: ['polling'],
        ca: nginx.tls.pem,
        extraHeaders: { 'x-test-user': 'judy' },
      },
    });
    try {
      await expect(
        new Promise<void>((resolve, reject) => {
          client.socket.once('connect', () => resolve());
          client.socket.once('connect_error', reject);
        }),
      ).rejects.toThrow();
    } finally {
      client.disconnect();
    }
  });

  it('SDK clients connected through it see their friends on both nodes', async () => {
    for (const user of USERS) {
      const client = createPresenceClient(nginx.httpsUrl, {
        token: await createPresenceToken({ secret: JWT_SECRET, userId: user }),
        device: 'test',
        // The SDK's default transports (websocket first); the test's certificate is trusted.
        socketOptions: {
          forceNew: true,
          reconnection: false,
          ca: nginx.tls.pem,
          extraHeaders: { 'x-test-user': user },
        },
      });
      clients.set(user, client);
      await new Promise<void>((resolve, reject) => {
        client.onSync(() => resolve());
        client.socket.once('connect_error', reject);
      });
      expect(client.socket.io.engine.transport.name).toBe('websocket');
    }
    for (const [user, client] of clients) {
      await waitFor(
        () =>
          JSON.stringify(
            client
              .list()
              .map((p) => p.userId)
              .sort(),
          ) === JSON.stringify([user, ...(FRIENDS[user] ?? [])].sort()),
        {
          timeoutMs: 15_000,
          description: `${user} sees exactly self and ${FRIENDS[user]?.join(', ')}, not ${client
            .list()
            .map((p) => p.userId)
            .join(', ')}`,
        },
      );
    }

    // nginx logs a websocket when it closes: which node each user's connection went to.
    for (const client of clients.values()) client.disconnect();
    const nodeOf = new Map<string, string>();
    await waitFor(
      () => {
        for (const line of nginx.accessLog().split('\n')) {
          const match = / 101 upstream=(\S+) user=(\S+)$/.exec(line);
          if (match?.[1] && match[2]) nodeOf.set(match[2], match[1]);
        }
        return nodeOf.size === USERS.length;
      },
      { description: 'a 101 in the access log for every user' },
    );
    const upstreams = nodes.map((node) => new URL(node.url).host);
    expect(new Set(nodeOf.values())).toEqual(new Set(upstreams));
    // Friends on different nodes saw each other: the cluster, not the balancer, joined them.
    const crossNode = Object.entries(FRIENDS).flatMap(([user, friends]) =>
      friends.filter((friend) => nodeOf.get(friend) !== nodeOf.get(user)),
    );
    expect(crossNode.length).toBeGreaterThan(0);
    // Round-robin: with one worker, connections alternate between the two nodes.
    const order = USERS.map((user) => nodeOf.get(user));
    for (let i = 1; i < order.length; i += 1) expect(order[i]).not.toBe(order[i - 1]);
  }, 90_000);
});
