/**
 * The no-flap property of leave grace, over real sockets on two in-process nodes (one in-memory
 * bus, replication every 10 ms), the grace on a manual clock. Random sequences of connects (a
 * device, a node, visible or not), drops (the engine cut, no socket.io disconnect packet),
 * explicit disconnects, invisibility toggles and clock advances, for alice, watched by bob on
 * each node. Each connection carries a status of its own, so a view names connections.
 *
 * A model says which of alice's connections friends should see: live visible ones, and dropped
 * visible ones whose grace has not run out and that no connection of the same device replaced
 * (leave-grace.ts: a drop is graced only if no other connection of its device is tracked; a
 * visible reconnect on the holding node takes the oldest over; any fresh track of the device,
 * visible or not, ends the device's graced entries everywhere).
 *
 * Checked: after each step, once quiet, every view (synced by phoenix's Presence) equals the
 * model, and so does each node's tracker; during any step where alice was shown before and
 * after, no view ever lost her (no flap); no payload ever shows an invisible meta to bob; and
 * after a last grace period only live connections remain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { dropConnection, type GraceNodes, startGraceNodes } from './support/grace-cluster.js';
import { connect, type TestClient } from './support/test-client.js';

const GRACE_MS = 5_000;
const DEVICES = ['d0', 'd1', undefined] as const;

type Op =
  | { kind: 'connect'; device: number; node: number; invisible: boolean }
  /** A dropped device comes back, visible, on its node or the other one. */
  | { kind: 'reconnect'; graced: number; otherNode: boolean }
  | { kind: 'drop'; conn: number }
  | { kind: 'leave'; conn: number }
  | { kind: 'toggle'; conn: number }
  | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      device: fc.integer({ min: 0, max: DEVICES.length - 1 }),
      node: fc.integer({ min: 0, max: 1 }),
      invisible: fc.constantFrom(false, false, true),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reconnect' as const),
      graced: fc.nat(),
      otherNode: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('drop' as const), conn: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), conn: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('toggle' as const), conn: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(1_000, GRACE_MS - 1, GRACE_MS, 2 * GRACE_MS),
    }),
  },
);

interface ModelConnection {
  readonly status: string;
  readonly device: string | undefined;
  readonly node: number;
  invisible: boolean;
  state: 'live' | 'graced';
  /** When its grace started (model time), and its order among graced entries. */
  gracedAt: number;
  gracedSeq: number;
  readonly client: TestClient;
}

class Run {
  readonly connections: ModelConnection[] = [];
  readonly violations: string[] = [];
  readonly viewers: TestClient[] = [];
  private now = 0;
  private seq = 0;
  private made = 0;

  constructor(readonly cluster: GraceNodes) {}

  /** Statuses of alice's connections friends should see, sorted. */
  expected(): string[] {
    return this.connections
      .filter((c) => !c.invisible)
      .map((c) => c.status)
      .sort();
  }

  inspect = (client: TestClient, event: string, payload: unknown): void => {
    if (event !== 'presence_state' && event !== 'presence_diff') return;
    const maps =
      event === 'presence_state'
        ? [payload as Record<string, { metas: Record<string, unknown>[] }>]
        : [(payload as { joins: Record<string, { metas: Record<string, unknown>[] }> }).joins];
    for (const map of maps) {
      for (const meta of map['alice']?.metas ?? []) {
        if (meta['invisible'] === true) this.violations.push(`${client.user} saw alice invisible`);
      }
    }
  };

  private live(index: number): ModelConnection | undefined {
    const live = this.connections.filter((c) => c.state === 'live');
    return live.length === 0 ? undefined : live[index % live.length];
  }

  private remove(ended: (c: ModelConnection) => boolean): void {
    for (let i = this.connections.length - 1; i >= 0; i--) {
      if (ended(this.connections[i]!)) this.connections.splice(i, 1);
    }
  }

  private gracedOf(device: string | undefined): (c: ModelConnection) => boolean {
    return (c) => c.state === 'graced' && c.device === device;
  }

  async apply(step: Op): Promise<void> {
    const { nodes, clock } = this.cluster;
    switch (step.kind) {
      case 'reconnect': {
        const graced = this.connections.filter((c) => c.state === 'graced');
        const g = graced[step.graced % Math.max(1, graced.length)];
        if (!g) return;
        const device = DEVICES.indexOf(g.device as (typeof DEVICES)[number]);
        const node = step.otherNode ? 1 - g.node : g.node;
        await this.apply({ kind: 'connect', device, node, invisible: false });
        return;
      }
      case 'connect': {
        const device = DEVICES[step.device];
        const status = `c${this.made++}`;
        const client = await connect(nodes[step.node]!.url, 'alice', {
          status,
          invisible: step.invisible,
          ...(device === undefined ? {} : { device }),
        });
        await client.ready();
        const here = this.connections
          .filter((c) => this.gracedOf(device)(c) && c.node === step.node)
          .sort((x, y) => x.gracedSeq - y.gracedSeq);
        if (!step.invisible && here.length > 0) {
          // Takes over the oldest here; the others of the device here end with it.
          this.remove((c) => here.includes(c));
        } else {
          // A fresh track: every graced entry of the device ends, on every node.
          this.remove(this.gracedOf(device));
        }
        this.connections.push({
          status,
          device,
          node: step.node,
          invisible: step.invisible,
          state: 'live',
          gracedAt: 0,
          gracedSeq: 0,
          client,
        });
        return;
      }
      case 'drop': {
        const c = this.live(step.conn);
        if (!c) return;
        await dropConnection(nodes[c.node]!, c.client);
        // No grace for an invisible connection, nor when its device is shown by another one.
        const twin = this.connections.some((x) => x !== c && x.device === c.device);
        if (c.invisible || twin) this.remove((x) => x === c);
        else {
          c.state = 'graced';
          c.gracedAt = this.now;
          c.gracedSeq = this.seq++;
        }
        return;
      }
      case 'leave': {
        const c = this.live(step.conn);
        if (!c) return;
        const id = c.client.socket.id;
        c.client.close();
        await waitFor(
          () => !nodes[c.node]!.server.gateway.socketsOf('alice').some((s) => s.id === id),
        );
        this.remove((x) => x === c);
        return;
      }
      case 'toggle': {
        const c = this.live(step.conn);
        if (!c) return;
        expect(await c.client.update({ invisible: !c.invisible })).toEqual({ ok: true });
        c.invisible = !c.invisible;
        // Tracked afresh on its new topic: a connection of that device (re)appeared.
        this.remove(this.gracedOf(c.device));
        return;
      }
      case 'advance': {
        clock.advance(step.ms);
        this.now += step.ms;
        this.remove((c) => c.state === 'graced' && c.gracedAt + GRACE_MS <= this.now);
        return;
      }
    }
  }

  async quiesce(): Promise<void> {
    const want = JSON.stringify(this.expected());
    const hidden = this.connections
      .filter((c) => c.invisible)
      .map((c) => c.status)
      .sort();
    const wantTracked = `${want} ${JSON.stringify(hidden)}`;
    // Both topics, on both nodes: the next step starts with replication settled (a fresh track
    // still in flight when a connection drops would end its grace on arrival, see leave-grace.ts).
    const tracked = (i: number) =>
      ['user:alice', 'self:alice']
        .map((topic) =>
          JSON.stringify(
            this.cluster.nodes[i]!.server.replica.view.get(topic, 'alice')
              .map((p) => String(p.meta['status']))
              .sort(),
          ),
        )
        .join(' ');
    const now = () =>
      `views ${this.viewers.map((bob) => JSON.stringify(statuses(bob))).join(' ')}, trackers ${this.cluster.nodes.map((_n, i) => tracked(i)).join(' ')}`;
    await waitFor(
      () =>
        this.viewers.every((bob) => JSON.stringify(statuses(bob)) === want) &&
        this.cluster.nodes.every((_n, i) => tracked(i) === wantTracked),
      { description: `views and trackers equal the model ${want}`, timeoutMs: 3_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${now()}`);
    });
  }

  close(): void {
    for (const c of this.connections) c.client.close();
    for (const bob of this.viewers) bob.close();
  }
}

function statuses(bob: TestClient): string[] {
  return bob
    .metas('alice')
    .map((m) => String(m['status']))
    .sort();
}

describe('leave grace property', () => {
  it('friends never see a flap while a device came back within grace, and views converge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const cluster = await startGraceNodes(2, { leaveGraceMs: GRACE_MS });
        const run = new Run(cluster);
        try {
          await cluster.graph.addEdge('alice', 'bob');
          for (const node of cluster.nodes) {
            const bob = await connect(node.url, 'bob', { inspect: run.inspect });
            run.viewers.push(bob);
            await bob.ready();
          }
          const steps: Op[] = [...ops, { kind: 'advance', ms: GRACE_MS }];
          for (const step of steps) {
            const shownBefore = run.expected().length > 0;
            const marks = run.viewers.map((bob) => bob.history.length);
            await run.apply(step);
            await run.quiesce();
            const shownAfter = run.expected().length > 0;
            if (shownBefore && shownAfter) {
              for (const [i, bob] of run.viewers.entries()) {
                const flapped = bob.history
                  .slice(marks[i])
                  .some((users) => !users.includes('alice'));
                if (flapped)
                  run.violations.push(`${JSON.stringify(step)}: bob ${i} saw alice offline`);
              }
            }
            expect(run.violations).toEqual([]);
          }
          // After a whole grace with no step, only live visible connections are shown.
          expect(run.expected()).toEqual(
            run.connections
              .filter((c) => c.state === 'live' && !c.invisible)
              .map((c) => c.status)
              .sort(),
          );
        } finally {
          run.close();
          await cluster.close();
        }
      }),
      {
        numRuns: Number(process.env.GRACE_RUNS ?? 20),
        endOnFailure: true,
        ...(process.env.GRACE_SEED
          ? { seed: Number(process.env.GRACE_SEED), path: process.env.GRACE_PATH }
          : {}),
      },
    );
  });
});
