/**
 * Presence query benchmark: `query(1,000 ids)` on a replica holding 100,000 presences (some users
 * on two devices, some invisible), in-process (no sockets): the backend's view, the view `as` a
 * viewer with 1,000 friends (one in-memory graph lookup), and the HTTP route's whole answer
 * (the query plus the JSON of its body). Prints p50/p99 and writes load/results/query.json.
 *
 *   npm run bench:query
 *   npm run bench:query -- --presences 1000000
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GraphologyFriendsGraph } from '../graph-adapters/graphology/index.js';
import { PresenceQuery } from '../src/query/presence-query.js';
import { MAX_QUERY_USERS } from '../src/query/query-input.js';
import { TrackerReplica } from '../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../src/transports/in-memory-bus.js';
import { machineInfo } from './machine.js';
import { printTable, resultsPath, round } from './report.js';

const { values } = parseArgs({
  options: {
    presences: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '2000' },
  },
});
const presences = Number(values.presences);
const queries = Number(values.queries);
if (!Number.isInteger(presences) || presences < 10_000) {
  process.stderr.write('bench:query: --presences must be an integer ≥ 10000\n');
  process.exit(2);
}
if (!Number.isInteger(queries) || queries < 100) {
  process.stderr.write('bench:query: --queries must be an integer ≥ 100\n');
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`${line}\n`);

// ── a replica with `presences` presences: one user in 4 on two devices, one in 10 invisible ──
const replica = new TrackerReplica({
  name: 'bench',
  transport: createInMemoryBus().createTransport('bench'),
  countedTopicPrefixes: ['user:'],
});
const STATUSES = ['online', 'away', 'busy'];
let tracked = 0;
let users = 0;
while (tracked < presences) {
  const id = `user-${users}`;
  const devices = users % 4 === 0 ? ['web', 'phone'] : ['web'];
  for (const device of devices) {
    if (tracked === presences) break;
    const invisible = users % 10 === 9;
    const meta = { status: STATUSES[tracked % 3], device, online_at: tracked };
    replica.track(invisible ? `self:${id}` : `user:${id}`, id, `c${tracked}`, meta);
    tracked++;
  }
  users++;
}
log(`tracked ${tracked} presences of ${users} users`);

// Each query asks for 1,000 ids: 4 in 5 of users with presences, the rest never connected.
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const idsOfQuery = () =>
  Array.from({ length: MAX_QUERY_USERS }, () =>
    random() < 0.8
      ? `user-${Math.floor(random() * users)}`
      : `absent-${Math.floor(random() * 1e9)}`,
  );
const sets = Array.from({ length: 64 }, idsOfQuery);

const graph = new GraphologyFriendsGraph();
const viewers = sets.map((_, i) => `viewer-${i}`);
for (const [i, ids] of sets.entries()) {
  for (const id of ids) await graph.addEdge(viewers[i]!, id);
}
const { query } = new PresenceQuery({ state: replica.view, graph, graphTimeoutMs: 5_000 });

/** p50/p99/max of `run` over `queries` calls, in microseconds. */
async function measure(run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await run(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < queries; i++) {
    const start = process.hrtime.bigint();
    await run(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    round(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!, 0);
  return { p50Us: at(0.5), p99Us: at(0.99), maxUs: round(samples.at(-1)!, 0) };
}

let online = 0;
const backend = await measure(async (i) => {
  const answer = await query(sets[i % sets.length]!);
  for (const presence of answer.values()) if (presence.online) online++;
});
const asViewer = await measure((i) =>
  query(sets[i % sets.length]!, { as: viewers[i % sets.length]! }),
);
let bytes = 0;
const http = await measure(async (i) => {
  const answer = await query(sets[i % sets.length]!);
  const body: Record<string, unknown> = Object.create(null);
  for (const [user, presence] of answer) body[user] = presence;
  bytes = JSON.stringify({ users: body }).length;
});
const onlineShare = round(online / ((queries + 200) * MAX_QUERY_USERS), 2);

const results = {
  benchmark: 'query',
  date: new Date().toISOString(),
  machine: machineInfo(),
  presences: tracked,
  users,
  idsPerQuery: MAX_QUERY_USERS,
  queries,
  onlineShare,
  backend,
  asViewer,
  withJson: { ...http, bodyBytes: bytes },
};
const row = (name: string, r: { p50Us: number; p99Us: number }, note: string) => [
  name,
  `p50 ${r.p50Us} µs, p99 ${r.p99Us} µs`,
  note,
];
printTable(
  `query of ${MAX_QUERY_USERS.toLocaleString('en')} ids, ${tracked.toLocaleString('en')} presences`,
  [
    row('backend view', backend, `O(ids); ${Math.round(onlineShare * 100)} % online`),
    row('as a viewer (1,000 friends)', asViewer, 'plus one in-memory graph lookup'),
    row('backend view + JSON body', http, `the HTTP answer, ${Math.round(bytes / 1024)} KiB`),
  ],
);
const path = resultsPath('query.json');
writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${path}`);
await graph.close();
