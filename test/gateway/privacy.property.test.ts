/**
 * The privacy property, over real sockets on one node. Random graphs (directed or undirected),
 * random connects, disconnects, status updates, invisible toggles and graph edits. After each
 * step, at quiescence, every client's view (synced by phoenix's Presence) equals exactly what a
 * model says it may see: itself with all its connections, and every friend it may see with
 * their visible connections. And across the whole run, no payload ever names a user the client
 * may not see at that moment: every key of a state or of joins is the client itself or a user
 * visible to it with no invisible meta, and a leave only names a user the client already had.
 *
 * Last seen too: users set who sees theirs (`friends` or `nobody`), and every
 * `presence_last_seen` names only the client itself or a user it may see then, with null for a
 * user who chose `nobody`; at the end, the query as each viewer shows the store's last seen of
 * exactly its offline friends who show it, and nothing of anyone else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UserId } from '../../src/domain/user-id.js';
import { MemoryLastSeenStore } from '../../src/last-seen/index.js';
import type { FriendsGraph } from '../../src/ports/friends-graph.js';
import type {
  LastSeenRecord,
  LastSeenStore,
  LastSeenVisibility,
} from '../../src/ports/last-seen-store.js';
import { waitFor } from '../support/wait-for.js';
import { connect, type TestClient } from './support/test-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const USERS = ['u0', 'u1', 'u2', 'u3'] as const;

type Op =
  | { kind: 'connect'; user: number; invisible: boolean }
  | { kind: 'disconnect'; client: number }
  | { kind: 'status'; client: number; status: string }
  | { kind: 'invisible'; client: number; invisible: boolean }
  | { kind: 'edge'; add: boolean; a: number; b: number }
  /** Removes an edge and, without waiting, has the lost friend update their status. */
  | { kind: 'unfriend-then-update'; edge: number; status: string }
  /** Has a friend update their status and, while that diff waits in outboxes, removes the edge. */
  | { kind: 'update-then-unfriend'; edge: number; status: string }
  /** Sets who sees a user's last seen: through one of their connections, else in the store. */
  | { kind: 'last-seen-visibility'; user: number; visibility: LastSeenVisibility }
  /** Connects a user and, while its friends' last seen is being read, unfriends one of them. */
  | { kind: 'connect-then-unfriend'; edge: number }
  /** A connection goes invisible (maybe its user's last leave) and, while that is read, hides it. */
  | { kind: 'leave-then-hide'; client: number };

const user = fc.integer({ min: 0, max: USERS.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('connect' as const), user, invisible: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      client: fc.nat(),
      status: fc.constantFrom('online', 'away', 'busy'),
    }),
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
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unfriend-then-update' as const),
      edge: fc.nat(),
      status: fc.constantFrom('online', 'away', 'busy'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update-then-unfriend' as const),
      edge: fc.nat(),
      status: fc.constantFrom('online', 'away', 'busy'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('last-seen-visibility' as const),
      user,
      visibility: fc.constantFrom<LastSeenVisibility>('friends', 'nobody'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('connect-then-unfriend' as const), edge: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('leave-then-hide' as const), client: fc.nat() }),
  },
);

/** Graph lookups and last-seen reads the server started and that are not answered yet. */
class InFlight {
  started = 0;
  pending = 0;

  track<T>(call: () => Promise<T>): Promise<T> {
    this.started++;
    this.pending++;
    let answer: Promise<T>;
    try {
      answer = call();
    } catch (err) {
      answer = Promise.reject(err);
    }
    return answer.finally(() => {
      this.pending--;
    });
  }
}

function countedGraph(inner: FriendsGraph, inFlight: InFlight): FriendsGraph {
  return {
    visibleTo: (userId) => inFlight.track(() => inner.visibleTo(userId)),
    subscribe: (listener) => inner.subscribe(listener),
    close: () => inner.close(),
  };
}

/**
 * The test's last-seen store: the memory store, its reads counted and, with a delay, answered
 * late with what it held when asked, as a remote store would: a setting changed meanwhile is not
 * in that answer (the race `leave-then-hide` provokes).
 */
class TestLastSeenStore implements LastSeenStore {
  readonly inner = new MemoryLastSeenStore();
  /** Runs once, as the next read is asked (before it is answered). */
  whileReading: (() => void) | undefined;

  constructor(
    private readonly inFlight: InFlight,
    private readonly delayMs: number,
  ) {}

  record(user: UserId, at: number): Promise<void> {
    return this.inner.record(user, at);
  }

  setVisibility(user: UserId, visibility: LastSeenVisibility): Promise<void> {
    return this.inner.setVisibility(user, visibility);
  }

  get(users: readonly UserId[]): Promise<ReadonlyMap<UserId, LastSeenRecord>> {
    return this.inFlight.track(async () => {
      const hook = this.whileReading;
      this.whileReading = undefined;
      hook?.();
      const answer = await this.inner.get(users);
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      return answer;
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The graph answering `visibleTo` late, as a remote store would: changes overtake lookups. */
function slowGraph(inner: FriendsGraph, delayMs: number): FriendsGraph {
  return {
    visibleTo: (userId) =>
      new Promise((resolve, reject) => {
        setTimeout(() => inner.visibleTo(userId).then(resolve, reject), delayMs);
      }),
    subscribe: (listener) => inner.subscribe(listener),
    close: () => inner.close(),
  };
}

interface ModelConnection {
  readonly client: TestClient;
  status: string;
  invisible: boolean;
}

/**
 * The model: what each connection is, who shows their last seen, and the graph (the real adapter
 * is the graph model).
 */
class Run {
  readonly connections: ModelConnection[] = [];
  readonly violations: string[] = [];
  /** Last-seen settings; `friends` unless set. */
  readonly lastSeenVisibility = new Map<string, LastSeenVisibility>();
  /**
   * Users who were `friends` at some point since the server was last quiet (see `quiesce`). The
   * model cannot be exact about a read that began before a user chose `nobody` and is answered
   * after (`leave-then-hide`): the store answered `friends` then, and the gateway rightly sends
   * the value. Such a value is allowed only until the next quiet point: once no read is in
   * flight, every later read sees `nobody`, so any value after that is a leak.
   */
  private shownSinceQuiet = new Set<string>();

  constructor(
    readonly server: TestServer,
    readonly store: TestLastSeenStore,
    readonly inFlight: InFlight,
    readonly directed: boolean,
    /** The gateway's shortest batch window: with 0, diffs leave right after their turn. */
    readonly minBatchDelayMs: number,
  ) {}

  showsLastSeen(user: string): boolean {
    return (this.lastSeenVisibility.get(user) ?? 'friends') === 'friends';
  }

  setLastSeenVisibility(user: string, visibility: LastSeenVisibility): void {
    if (this.showsLastSeen(user)) this.shownSinceQuiet.add(user);
    this.lastSeenVisibility.set(user, visibility);
  }

  /** Online for everyone who may see the user: a visible connection. */
  isOnline(user: string): boolean {
    return this.connections.some((c) => c.client.user === user && !c.invisible);
  }

  visible(viewer: string): Set<string> {
    return new Set(this.server.graph.visibleToNow(viewer));
  }

  /** user → sorted statuses of the connections `viewer` may see. */
  expected(viewer: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const visible = this.visible(viewer);
    for (const c of this.connections) {
      const u = c.client.user;
      if (u === viewer || (visible.has(u) && !c.invisible)) out[u] = [...(out[u] ?? []), c.status];
    }
    for (const u of Object.keys(out)) out[u]!.sort();
    return sortKeys(out);
  }

  /** Checks one payload against what `viewer` may see right now (before it is applied). */
  check(client: TestClient, event: string, payload: unknown): void {
    const viewer = client.user;
    const visible = this.visible(viewer);
    const allowed = (key: string, entry: unknown) => {
      if (key === viewer) return true;
      const metas = (entry as { metas?: Array<Record<string, unknown>> }).metas ?? [];
      return visible.has(key) && metas.every((m) => m['invisible'] !== true);
    };
    const shown = (map: Record<string, unknown>, what: string) => {
      for (const [key, entry] of Object.entries(map)) {
        if (!allowed(key, entry)) this.violations.push(`${viewer} got ${key} in ${what}`);
      }
    };
    if (event === 'presence_state') shown(payload as Record<string, unknown>, 'a state');
    if (event === 'presence_diff') {
      const diff = payload as { joins: Record<string, unknown>; leaves: Record<string, unknown> };
      shown(diff.joins, 'joins');
      for (const key of Object.keys(diff.leaves)) {
        if (!(key in client.view)) this.violations.push(`${viewer} got a leave of unknown ${key}`);
      }
    }
    if (event === 'presence_last_seen') {
      for (const [key, at] of Object.entries(payload as Record<string, unknown>)) {
        if (key !== viewer && !visible.has(key)) {
          this.violations.push(`${viewer} got the last seen of ${key} (${at}), not visible to it`);
        } else if (at !== null && !this.showsLastSeen(key) && !this.shownSinceQuiet.has(key)) {
          this.violations.push(`${viewer} got the last seen of ${key} (${at}), who chose nobody`);
        } else if (at !== null && typeof at !== 'number') {
          this.violations.push(`${viewer} got a last seen of ${key} that is no number: ${at}`);
        }
      }
    }
    if (event === 'presence_error') {
      const text = JSON.stringify(payload);
      for (const u of USERS)
        if (u !== viewer && text.includes(u)) this.violations.push(`error names ${u}`);
    }
  }

  pick(index: number): ModelConnection | undefined {
    return this.connections.length === 0
      ? undefined
      : this.connections[index % this.connections.length];
  }

  async apply(step: Op): Promise<void> {
    const { graph, server } = this.server;
    switch (step.kind) {
      case 'connect': {
        const name = USERS[step.user]!;
        // Every payload is checked before phoenix applies it.
        const client = await connect(this.server.url, name, {
          invisible: step.invisible,
          inspect: (c, event, payload) => this.check(c, event, payload),
        });
        this.connections.push({ client, status: 'online', invisible: step.invisible });
        await client.ready();
        return;
      }
      case 'disconnect': {
        const c = this.pick(step.client);
        if (!c) return;
        this.connections.splice(this.connections.indexOf(c), 1);
        const id = c.client.socket.id!;
        c.client.close();
        await waitFor(() => server.replica.view.connectionPresences(id).length === 0);
        return;
      }
      case 'status': {
        const c = this.pick(step.client);
        if (!c) return;
        c.status = step.status;
        expect(await c.client.update({ status: step.status })).toEqual({ ok: true });
        return;
      }
      case 'invisible': {
        const c = this.pick(step.client);
        if (!c) return;
        c.invisible = step.invisible;
        expect(await c.client.update({ invisible: step.invisible })).toEqual({ ok: true });
        return;
      }
      case 'edge': {
        const a = USERS[step.a]!;
        const b = USERS[step.b]!;
        if (step.add) await graph.addEdge(a, b, { directed: this.directed });
        else await graph.removeEdge(a, b, { directed: this.directed });
        return;
      }
      case 'unfriend-then-update': {
        // An existing edge, so that the race is there to lose.
        const edge = this.pickEdge(step.edge);
        if (edge === undefined) return;
        await graph.removeEdge(edge.a, edge.b, { directed: this.directed });
        await this.updateEveryConnectionOf(edge.b, step.status);
        return;
      }
      case 'update-then-unfriend': {
        const edge = this.pickEdge(step.edge);
        if (edge === undefined) return;
        // Acked once the diff is in the watchers' outboxes; with a batch window it waits there.
        await this.updateEveryConnectionOf(edge.b, step.status);
        // Without a window the diff was written right after its turn, before the edge goes (a
        // client may read it after): let it arrive first. With one, it still waits.
        if (this.minBatchDelayMs === 0) await this.quiesce();
        await graph.removeEdge(edge.a, edge.b, { directed: this.directed });
        return;
      }
      case 'last-seen-visibility': {
        const name = USERS[step.user]!;
        this.setLastSeenVisibility(name, step.visibility);
        const c = this.connections.find((c) => c.client.user === name);
        if (c) expect(await c.client.setLastSeenVisibility(step.visibility)).toEqual({ ok: true });
        else await this.store.setVisibility(name, step.visibility);
        return;
      }
      case 'connect-then-unfriend': {
        // The lost friend has no connection: nothing of theirs (a state, or a join of the new
        // connection sent them) can be on its way when the edge goes, only their last seen.
        const pool = this.edges().filter(
          (e) => e.a !== e.b && !this.connections.some((c) => c.client.user === e.b),
        );
        if (pool.length === 0) return;
        const { a, b } = pool[step.edge % pool.length]!;
        let removed: Promise<void> | undefined;
        // The new connection's state is out and its offline friends' last seen is being read:
        // the edge goes before the store answers (a turn later, not inside the store's call).
        this.store.whileReading = () => {
          removed = Promise.resolve().then(() =>
            graph.removeEdge(a, b, { directed: this.directed }),
          );
        };
        const client = await connect(this.server.url, a, {
          inspect: (c, event, payload) => this.check(c, event, payload),
        });
        this.connections.push({ client, status: 'online', invisible: false });
        await client.ready();
        await this.serverQuiet();
        // No read after all (the state found no friend offline): the edge goes now.
        this.store.whileReading = undefined;
        await (removed ?? graph.removeEdge(a, b, { directed: this.directed }));
        return;
      }
      case 'leave-then-hide': {
        const shown = this.connections.filter((c) => !c.invisible);
        const c = shown[step.client % Math.max(1, shown.length)];
        if (!c) return;
        c.invisible = true;
        // Acked after the move: a last leave's last seen is being read by then.
        expect(await c.client.update({ invisible: true })).toEqual({ ok: true });
        this.setLastSeenVisibility(c.client.user, 'nobody');
        expect(await c.client.setLastSeenVisibility('nobody')).toEqual({ ok: true });
        return;
      }
    }
  }

  edges(): Array<{ a: string; b: string }> {
    const { graph } = this.server.graph;
    return graph.edges().map((edge) => ({ a: graph.source(edge), b: graph.target(edge) }));
  }

  pickEdge(index: number): { a: string; b: string } | undefined {
    const edges = this.edges();
    return edges.length === 0 ? undefined : edges[index % edges.length];
  }

  /** Every connection of `user` sets a status that differs from its own (so it makes a diff). */
  async updateEveryConnectionOf(user: string, status: string): Promise<void> {
    const updates = this.connections
      .filter((c) => c.client.user === user)
      .map((c) => {
        c.status = c.status === status ? `${status}!` : status;
        return c.client.update({ status: c.status });
      });
    for (const ack of await Promise.all(updates)) expect(ack).toEqual({ ok: true });
  }

  async quiesce(): Promise<void> {
    await waitFor(
      () =>
        this.connections.every(
          (c) => JSON.stringify(viewOf(c.client)) === JSON.stringify(this.expected(c.client.user)),
        ),
      { description: 'every view equals the model', timeoutMs: 3_000 },
    );
    await this.lastSeenDelivered();
    this.shownSinceQuiet = new Set();
  }

  /**
   * Waits until nothing is on its way to a client: no graph lookup or store read is in flight
   * (a subscription step would send last seen after its lookup, a read after its answer), then a
   * round trip per connection, whose ack comes after everything sent to it before. So no
   * `presence_last_seen` crosses the next step's graph or setting change unless that step races
   * it on purpose, and check() judges each one against the model of its moment.
   */
  async lastSeenDelivered(): Promise<void> {
    await this.serverQuiet();
    // A refused setting changes nothing.
    const acks = await Promise.all(this.connections.map((c) => c.client.setLastSeenVisibility('')));
    for (const ack of acks)
      expect(ack).toMatchObject({ ok: false, error: { code: 'invalid_setting' } });
  }

  /** No graph lookup or last-seen read is in flight, nor asked for the next turn. */
  async serverQuiet(): Promise<void> {
    await waitFor(
      async () => {
        const started = this.inFlight.started;
        // A read asked in this turn reaches the store in the next (reads are batched per turn).
        await new Promise((resolve) => setImmediate(resolve));
        return this.inFlight.pending === 0 && this.inFlight.started === started;
      },
      { description: 'no graph lookup or last-seen read in flight', timeoutMs: 3_000 },
    );
  }

  /**
   * At the end: the query as each viewer shows the store's last seen of exactly its offline
   * friends who show it, and null for everyone else (non-friends, `nobody`, online friends).
   */
  async checkQueries(): Promise<void> {
    const { server } = this.server;
    // Every offline is past its delay and written, so the store holds what the query should show.
    await waitFor(
      () => {
        const writes = server.lastSeenStats!.writes;
        return (
          USERS.every((u) => server.online.isOnline(u) === this.isOnline(u)) &&
          writes.recorded + writes.failures === server.online.stats.ownedOffline
        );
      },
      { description: 'every offline recorded', timeoutMs: 3_000 },
    );
    const stored = await this.store.inner.get([...USERS]);
    for (const u of USERS) {
      const visibility = stored.get(u)?.visibility ?? 'friends';
      if (visibility !== (this.lastSeenVisibility.get(u) ?? 'friends'))
        this.violations.push(`the store has ${u} as ${visibility}, the model does not`);
    }
    for (const viewer of USERS) {
      const visible = this.visible(viewer);
      const answer = await server.query([...USERS], { as: viewer });
      for (const u of USERS) {
        if (u === viewer) continue;
        const shown = visible.has(u) && this.showsLastSeen(u) && !this.isOnline(u);
        const expected = shown ? (stored.get(u)?.lastSeen ?? null) : null;
        const got = answer.get(u)?.lastSeen;
        if (got !== expected)
          this.violations.push(`query as ${viewer}: ${u} has lastSeen ${got}, not ${expected}`);
      }
    }
  }
}

function viewOf(client: TestClient): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [u, entry] of Object.entries(client.view)) {
    out[u] = entry.metas.map((m) => String(m['status'])).sort();
  }
  return sortKeys(out);
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

describe('privacy property', () => {
  it('views equal the model at quiescence, no payload names a user not visible then, last seen shows only to whom it may', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom(0, 15),
        // The shortest batch window: 0 (the default, at rest) or long enough that diffs wait in
        // the outboxes while the next step runs.
        fc.constantFrom(0, 150),
        // How much of a change is handed to sockets per turn: the default, or one topic per turn
        // (changes then wait in the fan-out queue while subscription steps run).
        fc.constantFrom(8, 0),
        fc.array(fc.tuple(user, user), { maxLength: 6 }),
        fc.array(fc.tuple(user, fc.boolean()), { minLength: 1, maxLength: 5 }),
        fc.array(op, { minLength: 1, maxLength: 16 }),
        // How late the last-seen store answers (0: in the turn after it is asked).
        fc.constantFrom(0, 15),
        // Users with a last seen recorded before the run, and users who hide theirs from the start.
        fc.subarray([...USERS], { minLength: 2 }),
        fc.subarray([...USERS]),
        async (
          directed,
          graphDelayMs,
          minBatchDelayMs,
          fanOutSliceMs,
          edges,
          initial,
          ops,
          storeDelayMs,
          seenBefore,
          hiding,
        ) => {
          const inFlight = new InFlight();
          const store = new TestLastSeenStore(inFlight, storeDelayMs);
          for (const u of seenBefore) await store.record(u, 1_700_000_000_000);
          for (const u of hiding) await store.setVisibility(u, 'nobody');
          const server = await startTestServer({
            rateLimit: { perSecond: 1000, burst: 1000 },
            minBatchDelayMs,
            fanOutSliceMs,
            lastSeen: store,
            // A last leave is recorded soon, so later states and the query have it to show.
            offlineDelayMs: 20,
            wrapGraph: (graph) =>
              countedGraph(graphDelayMs > 0 ? slowGraph(graph, graphDelayMs) : graph, inFlight),
          });
          const run = new Run(server, store, inFlight, directed, minBatchDelayMs);
          for (const u of hiding) run.lastSeenVisibility.set(u, 'nobody');
          try {
            for (const [a, b] of edges)
              await server.graph.addEdge(USERS[a]!, USERS[b]!, { directed });
            const connects = initial.map(
              ([u, invisible]): Op => ({ kind: 'connect', user: u, invisible }),
            );
            for (const step of [...connects, ...ops]) {
              await run.apply(step);
              await run.quiesce();
              expect(run.violations).toEqual([]);
            }
            await run.checkQueries();
            expect(run.violations).toEqual([]);
          } finally {
            for (const c of run.connections) c.client.close();
            await server.close();
          }
        },
      ),
      { numRuns: 25 },
    );
    // 25 runs of real sockets take 8–13 s alone (last seen adds a round trip per step) and can
    // pass 30 s beside the integration tests on 2 cores: a bound, not an assertion on speed.
  }, 120_000);
});
