/**
 * What a load scenario is. Adding one = one file in load/scenarios exporting a Scenario, plus a
 * line in registry.ts. The runner (load/run.ts) builds the graph, the cluster, the client
 * workers and the recorder, calls run(), then prints the table and writes the JSON and chart.
 */
import type { ClientPool, PoolOptions } from '../clients/client-pool.js';
import type { HistogramName } from '../clients/protocol.js';
import type { Cluster, ServerKind } from '../cluster/cluster.js';
import type { LoadOptions } from '../options.js';
import type { Progress } from '../progress.js';
import type { Recorder } from '../recorder.js';
import type { Population } from '../social-graph/population.js';
import type { WebhookReceiver } from '../webhooks/webhook-receiver.js';

export interface ScenarioContext {
  readonly options: LoadOptions;
  readonly population: Population;
  readonly cluster: Cluster;
  readonly pool: ClientPool;
  readonly recorder: Recorder;
  readonly progress: Progress;
  /** With --webhooks: the receiver every node posts its online/offline events to. */
  readonly webhooks?: WebhookReceiver | undefined;
}

/** A line of the chart's latency panel: a percentile of one histogram, per second. */
export interface ChartLine {
  readonly label: string;
  readonly histogram: HistogramName;
  readonly percentile: 'p50' | 'p99' | 'p999';
}

export interface ScenarioResult {
  /** The scenario's figures (JSON). */
  readonly figures: Record<string, unknown>;
  /** Table rows: measure, result, target. */
  readonly rows: string[][];
  /** Lines of the chart's latency panel. */
  readonly chart: readonly ChartLine[];
  /** Vertical markers on the chart (seconds since start), e.g. the kill. */
  readonly markers?: readonly { readonly t: number; readonly label: string }[];
}

export interface Scenario {
  readonly name: string;
  /** One line for --help. */
  readonly summary: string;
  /** What serves the clients (default graph-presence nodes). */
  readonly server?: ServerKind;
  /** Overrides of the common defaults. */
  readonly defaults: Partial<LoadOptions>;
  /** What the client workers must do beyond connecting. */
  poolOptions(
    options: LoadOptions,
  ): Pick<PoolOptions, 'countReceipts' | 'reconnect' | 'watchNode' | 'flap'>;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}
