/**
 * Readiness's graph check: asks the friends graph for a cheap answer (its `check()`, else
 * `visibleTo` of a user nobody has) now and then every `intervalMs`, each bounded by `timeoutMs`,
 * and remembers how the last one went. `/readyz` reads the remembered result, so a probe request
 * never waits on the graph. Started on first use (presence.http() or presence.readiness()).
 */
import { withDeadline } from '../domain/graph-deadline.js';
import { type FriendsGraph, GRAPH_PROBE_USER } from '../ports/friends-graph.js';
import type { Logger } from '../ports/logger.js';

export type GraphCheckState =
  | { readonly status: 'unchecked' }
  | { readonly status: 'ok' }
  | { readonly status: 'failing'; readonly error: string };

export interface GraphProbeOptions {
  /** How often the graph is checked. @default 5000 (ms) */
  readonly intervalMs?: number;
  /** How long one check may take before it counts as failed. @default 2000 (ms) */
  readonly timeoutMs?: number;
}

export class GraphProbe {
  #state: GraphCheckState = { status: 'unchecked' };
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;

  constructor(
    private readonly graph: FriendsGraph,
    private readonly logger: Logger,
    options: GraphProbeOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  get state(): GraphCheckState {
    return this.#state;
  }

  /** Starts checking (idempotent): one check now, then one every interval after it settles. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    const previous = this.#state.status;
    try {
      const work = this.graph.check ? this.graph.check() : this.graph.visibleTo(GRAPH_PROBE_USER);
      await withDeadline(Promise.resolve(work), this.#timeoutMs, 'the readiness graph check');
      this.#state = { status: 'ok' };
      if (previous === 'failing') this.logger.info({}, 'friends graph answers again: ready');
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.#state = { status: 'failing', error };
      if (previous !== 'failing') {
        this.logger.warn({ err }, 'friends graph check failed: not ready');
      }
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#run(), this.#intervalMs);
    this.#timer.unref();
  }
}
