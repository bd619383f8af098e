/**
 * Readiness (`/readyz`): whether a balancer should send this node clients. Ready when the node is
 * neither draining nor closing, its bus link is up (or it has none), its replica has caught up with the cluster
 * since the link came up (TrackerReplica.synced; a node without a bus has nothing to catch up),
 * and the friends graph answered its last check (GraphProbe). Otherwise each failing condition is
 * a reason: a code to act on and a message naming it.
 */
import type { GraphCheckState } from './graph-probe.js';

export type ReadinessCode =
  | 'draining'
  | 'closing'
  | 'bus_down'
  | 'syncing'
  | 'graph_unchecked'
  | 'graph_failing';

export interface ReadinessReason {
  readonly code: ReadinessCode;
  readonly message: string;
}

export interface Readiness {
  readonly ready: boolean;
  /** Empty when ready. */
  readonly reasons: readonly ReadinessReason[];
}

export interface ReadinessSources {
  /** Draining: its clients are moving to other nodes before it stops. */
  readonly draining?: boolean;
  readonly closing: boolean;
  /** The bus (or transport) link; true without one. */
  readonly linkUp: boolean;
  readonly synced: boolean;
  /** Replicas still ahead of ours while not synced. */
  readonly syncingWith: readonly string[];
  readonly graph: GraphCheckState;
}

export function readinessOf(sources: ReadinessSources): Readiness {
  const reasons: ReadinessReason[] = [];
  if (sources.draining === true) {
    reasons.push({
      code: 'draining',
      message: 'the node is draining: its clients are moving to other nodes before it stops',
    });
  }
  if (sources.closing) {
    reasons.push({ code: 'closing', message: 'the node is shutting down' });
  }
  if (!sources.linkUp) {
    reasons.push({
      code: 'bus_down',
      message:
        'the node bus link is down (Redis unreachable): this node neither sends nor hears the cluster',
    });
  } else if (!sources.synced) {
    const whom =
      sources.syncingWith.length > 0 ? `: waiting for ${sources.syncingWith.join(', ')}` : '';
    reasons.push({
      code: 'syncing',
      message: `the initial sync with the other nodes is not done${whom}`,
    });
  }
  if (sources.graph.status === 'unchecked') {
    reasons.push({
      code: 'graph_unchecked',
      message: 'the friends graph has not answered a check yet',
    });
  } else if (sources.graph.status === 'failing') {
    reasons.push({
      code: 'graph_failing',
      message: `the friends graph failed its last check: ${sources.graph.error}`,
    });
  }
  return { ready: reasons.length === 0, reasons };
}
