/**
 * Support of the leave-grace tests: a manual clock for the grace (time moves only when a test
 * says so), in-process nodes on one in-memory bus sharing one graph and that clock, and a way to
 * drop a client's connection without a socket.io disconnect packet (a network loss, as the
 * server sees it: `transport close`).
 */
import { GraphologyFriendsGraph } from '../../../graph-adapters/graphology/index.js';
import type { PresenceServerOptions } from '../../../src/server/create-presence-server.js';
import { createInMemoryBus } from '../../../src/transports/in-memory-bus.js';
import { ManualClock } from '../../support/manual-clock.js';
import { waitFor } from '../../support/wait-for.js';
import type { TestClient } from './test-client.js';
import { startTestServer, type TestServer } from './test-server.js';

export interface GraceNodes {
  readonly graph: GraphologyFriendsGraph;
  readonly clock: ManualClock;
  readonly nodes: TestServer[];
  /** Node `i`'s tracker link: cut, it is a node that stopped answering (a crash, as others see it). */
  setTrackerLink(i: number, up: boolean): void;
  close(): Promise<void>;
}

/** Replication every 10 ms; a minute's down period: only the grace explains a leave. */
export const GRACE_TIMING = {
  broadcastPeriodMs: 10,
  downPeriodMs: 60_000,
  permdownPeriodMs: 120_000,
};

/** `count` nodes on one in-memory bus, one graph, one manual grace clock; each sees the others up. */
export async function startGraceNodes(
  count: number,
  options: Partial<PresenceServerOptions> = {},
): Promise<GraceNodes> {
  const graph = new GraphologyFriendsGraph();
  const clock = new ManualClock();
  const trackerBus = createInMemoryBus();
  const deliveryBus = createInMemoryBus();
  const nodes: TestServer[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.server.close()));
    await graph.close();
  };
  try {
    for (let i = 0; i < count; i++) {
      const name = `node-${i}`;
      nodes.push(
        await startTestServer({
          transport: trackerBus.createTransport(name),
          deliveryTransport: deliveryBus.createTransport(name),
          timing: GRACE_TIMING,
          leaveGraceMs: 5_000,
          leaveGraceClock: clock,
          ...options,
          graph,
        }),
      );
    }
    await waitFor(
      () => nodes.every((node) => node.server.replica.health.counts().up === count - 1),
      { description: 'every node sees the others up' },
    );
  } catch (error) {
    await close();
    throw error;
  }
  const setTrackerLink = (i: number, up: boolean) => trackerBus.setLinkUp(`node-${i}`, up);
  return { graph, clock, nodes, setTrackerLink, close };
}

/**
 * Cuts a client's connection the way a network loss does: the engine closes with no socket.io
 * disconnect packet, so the server sees `transport close`. Resolves once the server dropped the
 * socket.
 */
export async function dropConnection(node: TestServer, client: TestClient): Promise<void> {
  const id = client.socket.id;
  client.socket.io.engine.close();
  await waitFor(() => !node.server.gateway.socketsOf(client.user).some((s) => s.id === id), {
    description: `the server saw ${client.user}'s connection drop`,
  });
}
