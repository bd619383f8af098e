/**
 * Readiness's graph check: asks the friends graph for a cheap answer (its `check()`, else
 * `visibleTo` of a user nobody has) now and then every `intervalMs`, each bounded by `timeoutMs`,
 * and remembers how the last one went. `/readyz` reads the remembered result, so a probe request
 * never waits on the graph. Started on first use (presence.http() or presence.readiness()).
 * @throws InvalidOptionError for an interval or timeout that is not a positive number
 */
import { positiveOption } from '../domain/positive-option.js';
import { GraphProviderError } from '../errors.js';
import { systemTimers, type Timers } from '../ports/clock.js';
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
  /** @default the system's */
  readonly timers?: Timers;
}

export class GraphProbe {
  #state: GraphCheckState = { status: 'unchecked' };
  #timer: unknown;
  #started = false;
  #stopped = false;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #timers: Timers;

  constructor(
    private readonly graph: FriendsGraph,
    private readonly logger: Logger,
    options: GraphProbeOptions = {},
  ) {
    this.#intervalMs = positiveOption(
      'readiness.graphCheckIntervalMs',
      options.intervalMs ?? 5_000,
    );
    this.#timeoutMs = positiveOption('readiness.graphCheckTimeoutMs', options.timeoutMs ?? 2_000);
    this.#timers = options.timers ?? systemTimers;
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
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    const previous = this.#state.status;
    try {
      await this.#checkOnce();
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
    this.#timer = this.#timers.setTimeout(() => void this.#run(), this.#intervalMs);
  }

  /** One check, rejected with PRESENCE_GRAPH_TIMEOUT after `timeoutMs`. */
  #checkOnce(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const deadline = this.#timers.setTimeout(
        () =>
          reject(
            new GraphProviderError(
              'PRESENCE_GRAPH_TIMEOUT',
              `the readiness graph check took longer than ${this.#timeoutMs} ms`,
            ),
          ),
        this.#timeoutMs,
      );
      const settle = () => this.#timers.clearTimeout(deadline);
      Promise.resolve()
        .then(
          (): Promise<unknown> =>
            this.graph.check ? this.graph.check() : this.graph.visibleTo(GRAPH_PROBE_USER),
        )
        .then(
          (value) => {
            settle();
            resolve(value);
          },
          (error: unknown) => {
            settle();
            reject(error);
          },
        );
    });
  }
}
