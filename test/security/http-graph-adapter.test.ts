/**
 * Finding 7 of issue 11: the HTTP friends-graph adapter followed redirects (so whoever controls
 * a redirect target, or a misconfigured base URL, decided who sees whom) and read any body into
 * memory (a 20 MB answer, or an endless one, was buffered). Redirects are now refused with an
 * error naming the URL to fix, and the body is read as a stream and abandoned past `maxBodyBytes`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpFriendsGraph } from '../../graph-adapters/http/index.js';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  const open = server;
  server = undefined;
  if (!open) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

describe('HttpFriendsGraph against a hostile or misconfigured backend', () => {
  it('refuses a redirect, naming the URL and baseUrl, and never calls its target', async () => {
    const hits: string[] = [];
    const base = await serve((req, res) => {
      hits.push(req.url ?? '');
      if (req.url?.startsWith('/old/')) {
        res.writeHead(302, { location: '/elsewhere/users/alice/visible' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ visible: ['mallory'] }));
      }
    });
    const graph = new HttpFriendsGraph({ baseUrl: `${base}/old`, cache: { ttlMs: 0 } });
    const failure = graph.visibleTo('alice');
    await expect(failure).rejects.toMatchObject({ code: 'PRESENCE_GRAPH_UNAVAILABLE' });
    await expect(failure).rejects.toThrow(`${base}/old/users/alice/visible`);
    await expect(failure).rejects.toThrow(/redirect.*\/elsewhere\/users\/alice\/visible.*baseUrl/);
    expect(hits).toEqual(['/old/users/alice/visible']);
    await graph.close();
  });

  it('refuses a 20 MB answer instead of reading it (4 MiB by default)', async () => {
    const body = Buffer.from(`{"visible":[${'"user-0000000000",'.repeat(1_200_000)}"bob"]}`);
    expect(body.length).toBeGreaterThan(20_000_000);
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const graph = new HttpFriendsGraph({ baseUrl: base, cache: { ttlMs: 0 } });
    const failure = graph.visibleTo('alice');
    await expect(failure).rejects.toMatchObject({ code: 'PRESENCE_GRAPH_INVALID_DATA' });
    await expect(failure).rejects.toThrow(/4194304 bytes.*maxBodyBytes/);
    await graph.close();
  });

  it('abandons an endless answer once past maxBodyBytes, without waiting for its end', async () => {
    let closedEarly = false;
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length given
      const chunk = Buffer.from(`"${'x'.repeat(16_382)}",`);
      res.write('{"visible":[');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
      };
      res.on('drain', pump);
      res.on('close', () => {
        closedEarly = true;
      });
      pump();
    });
    // A timeout far beyond the test's: only the size cap can end this request in time.
    const graph = new HttpFriendsGraph({
      baseUrl: base,
      timeoutMs: 600_000,
      maxBodyBytes: 64 * 1024,
      cache: { ttlMs: 0 },
    });
    await expect(graph.visibleTo('alice')).rejects.toMatchObject({
      code: 'PRESENCE_GRAPH_INVALID_DATA',
      message: expect.stringMatching(/65536 bytes/),
    });
    await expect.poll(() => closedEarly).toBe(true);
    await graph.close();
  });

  it('still reads an answer under the cap', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ visible: ['bob', 'carol'] }));
    });
    const graph = new HttpFriendsGraph({ baseUrl: base, maxBodyBytes: 64, cache: { ttlMs: 0 } });
    expect(await graph.visibleTo('alice')).toEqual(['bob', 'carol']);
    expect(() => new HttpFriendsGraph({ baseUrl: base, maxBodyBytes: 0 })).toThrow(
      expect.objectContaining({ code: 'PRESENCE_INVALID_OPTION' }),
    );
    await graph.close();
  });
});
