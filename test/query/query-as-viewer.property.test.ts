/**
 * The query's privacy property: `query(ids, { as: viewer })` answers exactly what the viewer's
 * own client shows. Two in-process nodes on one in-memory bus (replication every 10 ms), real
 * sockets; random graphs (directed or undirected), connects to either node with a device, a
 * status and visible or not, explicit disconnects, network drops (the entry stays for its leave
 * grace, on a manual clock), status updates, invisibility toggles and graph edits. After each
 * step, once quiet (every client's view, synced by phoenix's Presence, equals what its node's
 * tracker and the graph say it may see, and both replicas hold the same presences), every
 * connected client's view, aggregated, equals the query as that client's user, asked on the
 * other node than the client's: online, status and devices of every user, friends or not; and
 * both nodes give the same backend view.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phxRef } from '../../src/core/index.js';
import { isDeviceKind } from '../../src/domain/device-kind.js';
import { expectedView, normalise } from '../gateway/support/expected-view.js';
import {
  dropConnection,
  type GraceNodes,
  startGraceNodes,
} from '../gateway/support/grace-cluster.js';
import { connect, type TestClient } from '../gateway/support/test-client.js';
import { waitFor } from '../support/wait-for.js';

const USERS = ['u0', 'u1', 'u2', 'u3'] as const;
const KINDS = ['web', 'mobile', undefined] as const;
const STATUSES = ['online', 'away', 'busy', 'dnd'] as const;

type Op =
  | { kind: 'connect'; user: number; node: number; device: number; invisible: boolean }
  | { kind: 'disconnect'; client: number }
  | { kind: 'drop'; client: number }
  | { kind: 'status'; client: number; status: string }
  | { kind: 'invisible'; client: number; invisible: boolean }
  | { kind: 'edge'; add: boolean; a: number; b: number };

const user = fc.integer({ min: 0, max: USERS.length - 1 });
const status = fc.constantFrom(...STATUSES);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      user,
      node: fc.integer({ min: 0, max: 1 }),
      device: fc.integer({ min: 0, max: KINDS.length - 1 }),
      invisible: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), client: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('status' as const), client: fc.nat(), status }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('invisible' as const),
      client: fc.nat(),
      invisible: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('edge' as const),
      add: fc.boolean(),
      a: user,
      b: user,
    }),
  },
);

/** The model's aggregation of a view's metas: online > away > others in code-unit order. */
function strongest(statuses: readonly string[]): string {
  const rank = (s: string) => (s === 'online' ? 0 : s === 'away' ? 1 : 2);
  return [...statuses].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))[0]!;
}

/** What a client shows of `user`, in the query's shape. */
function shown(client: TestClient, user: string) {
  const metas = client.metas(user);
  if (metas.length === 0) return { online: false, status: 'offline', devices: {}, lastSeen: null };
  const byDevice = new Map<string, string[]>();
  for (const meta of metas) {
    const device = isDeviceKind(meta['kind']) ? meta['kind'] : 'other';
    byDevice.set(device, [...(byDevice.get(device) ?? []), String(meta['status'])]);
  }
  const devices = Object.fromEntries([...byDevice].map(([d, s]) => [d, strongest(s)]));
  return {
    online: true,
    status: strongest(metas.map((m) => String(m['status']))),
    devices,
    lastSeen: null,
  };
}

interface Connection {
  readonly client: TestClient;
  readonly node: number;
}

class Run {
  readonly connections: Connection[] = [];
  constructor(
    readonly cluster: GraceNodes,
    readonly directed: boolean,
  ) {}

  pick(index: number): Connection | undefined {
    return this.connections.length === 0
      ? undefined
      : this.connections[index % this.connections.length];
  }

  async apply(step: Op): Promise<void> {
    const { graph, nodes } = this.cluster;
    switch (step.kind) {
      case 'connect': {
        const kind = KINDS[step.device];
        const client = await connect(nodes[step.node]!.url, USERS[step.user]!, {
          invisible: step.invisible,
          ...(kind === undefined ? {} : { kind }),
        });
        this.connections.push({ client, node: step.node });
        await client.ready();
        return;
      }
      case 'disconnect':
      case 'drop': {
        const c = this.pick(step.client);
        if (!c) return;
        this.connections.splice(this.connections.indexOf(c), 1);
        const node = nodes[c.node]!;
        if (step.kind === 'drop') {
          await dropConnection(node, c.client);
          return;
        }
        const id = c.client.socket.id!;
        c.client.close();
        await waitFor(() => node.server.replica.view.connectionPresences(id).length === 0);
        return;
      }
      case 'status': {
        const c = this.pick(step.client);
        if (c) expect(await c.client.update({ status: step.status })).toEqual({ ok: true });
        return;
      }
      case 'invisible': {
        const c = this.pick(step.client);
        if (c) expect(await c.client.update({ invisible: step.invisible })).toEqual({ ok: true });
        return;
      }
      case 'edge': {
        const a = USERS[step.a]!;
        const b = USERS[step.b]!;
        if (step.add) await graph.addEdge(a, b, { directed: this.directed });
        else await graph.removeEdge(a, b, { directed: this.directed });
        return;
      }
    }
  }

  /** Every view equals its node's tracker and the graph, and both replicas agree. */
  async quiesce(): Promise<void> {
    const { graph, nodes } = this.cluster;
    const presencesOf = (node: number) =>
      USERS.flatMap((u) =>
        [`user:${u}`, `self:${u}`].map((topic) =>
          nodes[node]!.server.replica.view.get(topic, u)
            .map((p) => `${topic}/${phxRef(p)}/${JSON.stringify(p.meta)}`)
            .sort()
            .join(','),
        ),
      ).join(';');
    await waitFor(
      () =>
        presencesOf(0) === presencesOf(1) &&
        this.connections.every(({ client, node }) => {
          const { server } = nodes[node]!;
          return (
            JSON.stringify(normalise(client.view)) ===
            JSON.stringify(
              expectedView(
                server.replica,
                client.user,
                graph.visibleToNow(client.user),
                server.gateway.wireRefs,
              ),
            )
          );
        }),
      { description: 'every view equals its model and the replicas agree', timeoutMs: 5_000 },
    );
  }

  /** Each client's view, aggregated, equals the query as its user on the other node. */
  async check(): Promise<void> {
    const [a, b] = this.cluster.nodes.map((node) => node.server);
    // Replicas that agree answer the backend's view alike, whatever their order of arrival.
    expect(Object.fromEntries(await a!.query([...USERS]))).toEqual(
      Object.fromEntries(await b!.query([...USERS])),
    );
    for (const { client, node } of this.connections) {
      const other = this.cluster.nodes[1 - node]!.server;
      const answer = await other.query([...USERS], { as: client.user });
      const expected = Object.fromEntries(USERS.map((u) => [u, shown(client, u)]));
      expect(Object.fromEntries(answer), `as ${client.user}`).toEqual(expected);
    }
  }
}

describe('query as a viewer, property', () => {
  it('answers what the viewer’s own client shows, on the other node too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.tuple(user, user), { maxLength: 6 }),
        fc.array(op, { minLength: 1, maxLength: 14 }),
        async (directed, edges, ops) => {
          const cluster = await startGraceNodes(2);
          const run = new Run(cluster, directed);
          try {
            for (const [a, b] of edges)
              await cluster.graph.addEdge(USERS[a]!, USERS[b]!, { directed });
            for (const step of ops) {
              await run.apply(step);
              await run.quiesce();
              await run.check();
            }
          } finally {
            for (const c of run.connections) c.client.close();
            await cluster.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
