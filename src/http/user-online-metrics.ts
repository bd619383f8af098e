/**
 * Prometheus metrics of users online for the backend (src/user-online/): transitions seen and
 * owned by this node, users online as it sees them, and the last-seen store's reads and writes.
 */
import { Gauge, type Registry } from 'prom-client';
import type { LastSeenReadStats } from '../last-seen/last-seen-reads.js';
import type { LastSeenRecorderStats } from '../last-seen/last-seen-recorder.js';
import type { UserOnlineFeed } from '../user-online/user-online-feed.js';
import { monotonic } from './metrics.js';

export function registerUserOnlineMetrics(
  registry: Registry,
  feed: UserOnlineFeed,
  lastSeen?: { readonly reads: LastSeenReadStats; readonly writes: LastSeenRecorderStats },
): void {
  new Gauge({
    name: 'presence_backend_users_online',
    help: 'Users online for the backend (a visible device, or gone for less than the offline delay)',
    registers: [registry],
    collect() {
      this.set(feed.onlineCount);
    },
  });
  const { stats } = feed;
  monotonic(
    registry,
    'presence_user_online_total',
    'Users come online, seen here',
    () => stats.online,
  );
  monotonic(
    registry,
    'presence_user_offline_total',
    'Users gone offline, seen here',
    () => stats.offline,
  );
  monotonic(
    registry,
    'presence_user_transitions_owned_total',
    'Online and offline transitions this node owned (acted on: webhook, last seen)',
    () => stats.ownedOnline + stats.ownedOffline,
  );
  if (lastSeen === undefined) return;
  new Gauge({
    name: 'presence_last_seen_writes_waiting',
    help: 'Users whose last seen waits for a free write to the store',
    registers: [registry],
    collect() {
      this.set(lastSeen.writes.waiting);
    },
  });
  monotonic(
    registry,
    'presence_last_seen_reads_total',
    'Calls to the last-seen store to read',
    () => lastSeen.reads.gets,
  );
  monotonic(
    registry,
    'presence_last_seen_read_failures_total',
    'Reads of the last-seen store that failed (answered unknown)',
    () => lastSeen.reads.failures,
  );
  monotonic(
    registry,
    'presence_last_seen_writes_total',
    'Last seen recorded by this node',
    () => lastSeen.writes.recorded,
  );
  monotonic(
    registry,
    'presence_last_seen_write_failures_total',
    'Last seen this node failed to record',
    () => lastSeen.writes.failures,
  );
}
