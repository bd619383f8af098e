/**
 * Counts benchmark: what a count read costs with 1,000,000 presences in the tracker, and what
 * count-only rooms cost with many members. In-process (no sockets): the library calls an app or
 * an admin route makes. Prints a table and writes load/results/counts.json.
 *
 *   npm run bench:counts
 *   npm run bench:counts -- --entries 100000
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GraphologyFriendsGraph } from '../graph-adapters/graphology/index.js';
import { ChangeRouter } from '../src/change-router/change-router.js';
import { FriendsOnline } from '../src/counts/friends-online.js';
import { PresenceCounts } from '../src/counts/presence-counts.js';
import { RoomCounts } from '../src/counts/room-counts.js';
import type { Timers } from '../src/ports/clock.js';
import { silentLogger } from '../src/ports/logger.js';
import { TrackerReplica } from '../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../src/transports/in-memory-bus.js';
import { machineInfo } from './machine.js';
import { printTable, resultsPath, round } from './report.js';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '1000000' } },
});
const entries = Number(values.entries);
if (!Number.isInteger(entries) || entries < 10_000) {
  process.stderr.write('bench:counts: --entries must be an integer ≥ 10000\n');
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`${line}\n`);
const nsPer = (start: bigint, n: number) => Number(process.hrtime.bigint() - start) / n;

// ── a replica holding `entries` visible presences, one user per topic ────────────────────────
// Frames are delivered at once and nothing ticks by itself: the bench drives the one tick it needs.
const bus = createInMemoryBus({ schedule: (deliver) => deliver() });
const noTimers: Timers = { setTimeout: () => undefined, clearTimeout: () => {} };
const replica = new TrackerReplica({
  name: 'bench',
  transport: bus.createTransport('bench'),
  timers: noTimers,
  countedTopicPrefixes: ['user:'],
});
replica.start();
for (let i = 0; i < entries; i++) {
  const id = String(i);
  replica.track(`user:${id}`, id, `c${id}`, { status: 'online', online_at: i });
}
const friends = new FriendsOnline((f) => replica.view.count(`user:${f}`) > 0);
const changes = new ChangeRouter(replica, silentLogger);
const rooms = new RoomCounts({ replica, changes, onCount: () => {}, periodMs: 1_000_000 });
const graph = new GraphologyFriendsGraph();
const counts = new PresenceCounts({
  state: replica.view,
  graph,
  graphTimeoutMs: 5_000,
  friends,
  rooms,
});
log(`tracked ${entries} presences`);

const READS = 5_000_000;
let sink = 0;

// ── online(): users and connections, cluster-wide ────────────────────────────────────────────
let start = process.hrtime.bigint();
for (let i = 0; i < READS; i++) sink += counts.online().users;
const onlineNs = nsPer(start, READS);
if (counts.online().users !== entries) throw new Error('online count is off');

// ── topic(topic): one topic's count ──────────────────────────────────────────────────────────
const topics = Array.from({ length: 1024 }, (_, i) => `user:${(i * 7919) % entries}`);
start = process.hrtime.bigint();
for (let i = 0; i < READS; i++) sink += counts.topic(topics[i & 1023]!).presences;
const topicNs = nsPer(start, READS);

// ── friends online, counted on read: 10,000 watched users with 200 friends each ─────────────
const WATCHED = 10_000;
const DEGREE = 200;
const FRIEND_READS = 200_000;
const watches = Array.from({ length: WATCHED }, (_, w) => {
  const list: string[] = [];
  for (let k = 0; k < DEGREE; k++) list.push(String((w * 7919 + k * 104_729) % entries));
  return { owner: `watcher-${w}`, watched: () => list };
});
start = process.hrtime.bigint();
for (const watch of watches) friends.watch(watch);
const watchUs = nsPer(start, WATCHED) / 1000;
start = process.hrtime.bigint();
for (let i = 0; i < FRIEND_READS; i++) sink += friends.of(`watcher-${i % WATCHED}`)!;
const friendsNs = nsPer(start, FRIEND_READS);
// a friend going offline and online again: the tracker write alone now (nothing to keep current)
const CHURN = 200_000;
start = process.hrtime.bigint();
for (let i = 0; i < CHURN; i++) {
  const id = String((i * 104_729) % entries);
  replica.untrack(`user:${id}`, id, `c${id}`);
  replica.track(`user:${id}`, id, `c${id}`, { status: 'online', online_at: i });
}
const churnNs = nsPer(start, CHURN * 2);
for (const watch of watches) friends.unwatch(watch);

// ── count-only rooms: 1,000,000 joins into one room on this node, 32 nodes in it ─────────────
const NODES = 32;
for (let n = 0; n < NODES - 1; n++) {
  const name = `node-${n}`;
  const other = new TrackerReplica({
    name,
    transport: bus.createTransport(name),
    timers: noTimers,
  });
  other.track('count:stage', name, 'count:stage', { n: 1000 });
  other.tick(); // its heartbeat carries the delta: the bench replica marks it up and merges it
}
start = process.hrtime.bigint();
for (let i = 0; i < entries; i++) rooms.add('stage');
const joinNs = nsPer(start, entries);
rooms.flush(); // one publish, whatever the number of joins since the last one
// steady state: a join, then the period's publish (one tracker update) and the members' count
const PUBLISHES = 10_000;
start = process.hrtime.bigint();
for (let i = 0; i < PUBLISHES; i++) {
  rooms.add('stage');
  rooms.flush();
}
const flushUs = nsPer(start, PUBLISHES) / 1000;
const ROOM_READS = 1_000_000;
start = process.hrtime.bigint();
for (let i = 0; i < ROOM_READS; i++) sink += counts.room('stage');
const roomNs = nsPer(start, ROOM_READS);
if (counts.room('stage') !== entries + PUBLISHES + (NODES - 1) * 1000)
  throw new Error('room count is off');
const roomEntries = replica.view.count('count:stage');
rooms.close();
if (sink === 42) log('');

const results = {
  benchmark: 'counts',
  date: new Date().toISOString(),
  machine: machineInfo(),
  entries,
  onlineReadNs: round(onlineNs, 1),
  topicReadNs: round(topicNs, 1),
  friendsOnlineReadNs: round(friendsNs, 1),
  friendsWatchUs: round(watchUs, 1),
  friendsWatched: WATCHED,
  friendsDegree: DEGREE,
  friendTopicChangeNs: round(churnNs, 0),
  roomJoinNs: round(joinNs, 1),
  roomFlushUs: round(flushUs, 1),
  roomReadNs: round(roomNs, 1),
  roomNodes: NODES,
  roomTrackerEntries: roomEntries,
};
printTable(`counts, ${entries.toLocaleString('en')} presences`, [
  ['online() read', `${results.onlineReadNs} ns`, 'O(1)'],
  ['topic(topic) read', `${results.topicReadNs} ns`, 'O(1)'],
  [
    `friendsOnline read (connected user, ${DEGREE} friends)`,
    `${results.friendsOnlineReadNs} ns`,
    'O(degree), counted on read',
  ],
  [`subscribe (watch)`, `${results.friendsWatchUs} µs`, 'O(1): nothing copied'],
  [
    `friend online↔offline, ${WATCHED.toLocaleString('en')}×${DEGREE} watched`,
    `${results.friendTopicChangeNs} ns`,
    'the tracker op alone: no count to keep',
  ],
  [`room join (local)`, `${results.roomJoinNs} ns`, 'O(1)'],
  [
    `room publish (per period, ${entries.toLocaleString('en')} members)`,
    `${results.roomFlushUs} µs`,
    `1 tracker entry per node (${roomEntries} here)`,
  ],
  [`room(room) read, ${NODES} nodes`, `${results.roomReadNs} ns`, 'O(nodes)'],
]);
const path = resultsPath('counts.json');
writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${path}`);
await graph.close();
