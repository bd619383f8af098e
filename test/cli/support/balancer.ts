/**
 * A small TCP balancer in front of nodes, as a Kubernetes Service or a cloud load balancer
 * behaves for websockets: each new TCP connection goes to the next backend in turn among those
 * whose `/readyz` answered 200 at its last check (every 100 ms); an open connection stays where
 * it is. No session affinity. Clients given its URL reach "a node", never a named one.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export interface Backend {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

export interface Balancer {
  readonly url: string;
  /** The backends in rotation (replaces the list: a new pod added, an old one removed). */
  setBackends(urls: readonly string[]): void;
  /** New connections sent to each backend URL so far. */
  readonly routed: Map<string, number>;
  close(): Promise<void>;
}

const CHECK_MS = 100;

export async function startBalancer(urls: readonly string[]): Promise<Balancer> {
  let backends: Backend[] = [];
  const ready = new Map<string, boolean>();
  const routed = new Map<string, number>();
  const open = new Set<Socket>();
  let next = 0;
  const setBackends = (list: readonly string[]) => {
    backends = list.map((url) => {
      const parsed = new URL(url);
      return { host: parsed.hostname, port: Number(parsed.port), url };
    });
  };
  setBackends(urls);
  let stopped = false;
  const check = async () => {
    await Promise.all(
      backends.map(async (backend) => {
        try {
          const response = await fetch(`${backend.url}/readyz`, {
            signal: AbortSignal.timeout(1_000),
          });
          await response.arrayBuffer();
          ready.set(backend.url, response.status === 200);
        } catch {
          ready.set(backend.url, false);
        }
      }),
    );
  };
  await check();
  const loop = async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, CHECK_MS));
      await check();
    }
  };
  const looping = loop();

  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const healthy = backends.filter((b) => ready.get(b.url) === true);
    if (healthy.length === 0) {
      client.destroy();
      return;
    }
    const backend = healthy[next++ % healthy.length]!;
    routed.set(backend.url, (routed.get(backend.url) ?? 0) + 1);
    const upstream = tcpConnect(backend.port, backend.host);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    setBackends,
    routed,
    close: async () => {
      stopped = true;
      await looping;
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
