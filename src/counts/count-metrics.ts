/**
 * Prometheus gauges of the cluster-wide online counts, read at scrape time in O(1). No label per
 * user, topic or room: cardinality stays constant however many there are.
 */
import { Gauge, type Registry } from 'prom-client';
import type { PresenceCounts } from './presence-counts.js';

export function registerCountMetrics(registry: Registry, counts: PresenceCounts): void {
  new Gauge({
    name: 'presence_online_users',
    help: 'Users with at least one visible connection, cluster-wide (invisible ones excluded)',
    registers: [registry],
    collect() {
      this.set(counts.online().users);
    },
  });
  new Gauge({
    name: 'presence_online_connections',
    help: 'Visible connections, cluster-wide (invisible ones excluded)',
    registers: [registry],
    collect() {
      this.set(counts.online().connections);
    },
  });
}
