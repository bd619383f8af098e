/**
 * A load balancer for the race test: a TCP proxy in front of the nodes. New connections go to
 * the current target; `cut()` drops the live ones (a network blip: the client reconnects), and
 * while `hold()` is on, new connections are refused, so the client stays away until `open(port)`
 * lets it in again, on whichever node the test chose.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface SwitchingProxy {
  readonly port: number;
  /** Drops every live connection (both sides see the TCP close). */
  cut(): void;
  /** Refuses new connections until open(). */
  hold(): void;
  /** Sends new connections to `targetPort`. */
  open(targetPort: number): void;
  close(): Promise<void>;
}

export async function startSwitchingProxy(targetPort: number): Promise<SwitchingProxy> {
  let target: number | undefined = targetPort;
  const live = new Set<Socket>();
  const server = createServer((client) => {
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      live.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        live.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  return {
    port: address.port,
    cut() {
      for (const socket of live) socket.destroy();
    },
    hold() {
      target = undefined;
    },
    open(port) {
      target = port;
    },
    async close() {
      target = undefined;
      for (const socket of live) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
