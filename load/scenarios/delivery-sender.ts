/**
 * The sender of the `delivery` scenario, in the driver process: `POST /admin/deliver` at a fixed
 * rate over keep-alive HTTP connections, to users picked at random, each call to the next node in
 * turn. Every message's payload is `{ q: sequence, t: send time }` so the receiving workers can
 * report which message arrived and how long after its send. Keeps one record per message (the
 * accounting after the run) and reports each second as a tick of its own to the recorder.
 */
import { Agent, request } from 'node:http';
import { emptyCounters, nowMs, type WorkerTick } from '../clients/protocol.js';
import { ADMIN_TOKEN } from '../cluster/cluster.js';
import { Histogram } from '../histogram.js';
import { seededRandom } from '../social-graph/seeded-random.js';

/** The recorder's worker index of the sender's ticks (never a real worker's). */
const SENDER_TICK_INDEX = 1_000_000;
/** A call that has not answered by its deliver timeout plus this is given up: "no answer". */
const ANSWER_GRACE_MS = 15_000;

export type Outcome = 'pending' | 'acked' | 'fallback' | 'error';

export interface SentMessage {
  readonly seq: number;
  readonly user: string;
  /** Index of the node the call went to. */
  readonly node: number;
  /** ms since the epoch (comparable with the workers' clocks). */
  readonly sentAt: number;
  resultAt: number;
  outcome: Outcome;
  /** acked: connections that acked; fallback: the reason; error: what went wrong. */
  detail: string;
}

export interface SenderOptions {
  readonly urls: readonly string[];
  readonly users: readonly string[];
  readonly ratePerSec: number;
  readonly timeoutMs: number;
  /** Keep-alive connections per node. */
  readonly connections: number;
  readonly seed: number;
  readonly onTick: (tick: WorkerTick) => void;
}

interface DeliverAnswer {
  readonly delivered?: boolean;
  readonly connections?: number;
  readonly reason?: string;
  readonly error?: { readonly code?: string };
  readonly code?: string;
}

export class DeliverySender {
  readonly messages: SentMessage[] = [];
  /**
   * Keep-alive, at most `connections` per node: calls beyond them wait in the agent's queue (the
   * wait counts in their latency: `sentAt` is taken before). Unbounded, a slow second opened a
   * new connection per waiting call, and connection setup on the nodes fed the backlog (p99
   * 6.6 s for 10 s after the start vs 53 ms with 32 per node, same machine and load).
   * Node's agent honours the server's `Keep-Alive: timeout=5` hint (closing an idle
   * socket 1 s before the server does) only when it has a timeout of its own; without one an idle
   * socket can be reused just as the server closes it: ECONNRESET on a request never read.
   * The timeout only ever closes idle sockets (a pending call is never cut).
   */
  private readonly agent: Agent;
  private readonly random: () => number;
  private counters = emptyCounters();
  private latency = new Histogram();
  private inFlight = 0;
  private maxInFlight = 0;
  private pump: NodeJS.Timeout | undefined;
  private reporter: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private stoppedAt = 0;
  private idle: (() => void) | undefined;

  constructor(private readonly options: SenderOptions) {
    this.random = seededRandom(options.seed * 31 + 7);
    this.agent = new Agent({ keepAlive: true, timeout: 60_000, maxSockets: options.connections });
  }

  start(): void {
    this.startedAt = performance.now();
    const { ratePerSec } = this.options;
    const tick = () => {
      const due = Math.floor(((performance.now() - this.startedAt) / 1000) * ratePerSec);
      while (this.messages.length < due) this.sendOne();
    };
    this.pump = setInterval(tick, 5);
    this.reporter = setInterval(() => this.report(), 1000);
  }

  /** Stops sending; resolves once every call has answered (or was given up). */
  async stop(): Promise<void> {
    clearInterval(this.pump);
    this.stoppedAt = performance.now();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    clearInterval(this.reporter);
    this.report();
    this.agent.destroy();
  }

  /** Seconds during which messages were sent. */
  get sendingSeconds(): number {
    return (this.stoppedAt - this.startedAt) / 1000;
  }

  get mostInFlight(): number {
    return this.maxInFlight;
  }

  private sendOne(): void {
    const { urls, users, timeoutMs } = this.options;
    const seq = this.messages.length;
    const user = users[Math.floor(this.random() * users.length)]!;
    const node = seq % urls.length;
    const sentAt = nowMs();
    const message: SentMessage = {
      seq,
      user,
      node,
      sentAt,
      resultAt: Number.NaN,
      outcome: 'pending',
      detail: '',
    };
    this.messages.push(message);
    this.counters.messagesSent += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const body = JSON.stringify({ user, event: 'load', payload: { q: seq, t: sentAt }, timeoutMs });
    let done = false;
    const finish = (outcome: Outcome, detail: string) => {
      if (done) return;
      done = true;
      message.resultAt = nowMs();
      message.outcome = outcome;
      message.detail = detail;
      if (outcome === 'acked') {
        this.counters.messagesAcked += 1;
        this.latency.record(message.resultAt - sentAt);
      } else if (outcome === 'fallback') this.counters.messagesFallback += 1;
      else this.counters.httpErrors += 1;
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.idle) this.idle();
    };
    const req = request(`${urls[node]}/admin/deliver`, {
      method: 'POST',
      agent: this.agent,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    const timer = setTimeout(() => {
      finish('error', `no answer within ${timeoutMs + ANSWER_GRACE_MS} ms`);
      req.destroy();
    }, timeoutMs + ANSWER_GRACE_MS);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        finish('error', `response ${err.code ?? err.message}`);
      });
      res.on('end', () => {
        clearTimeout(timer);
        let answer: DeliverAnswer;
        try {
          answer = JSON.parse(Buffer.concat(chunks).toString()) as DeliverAnswer;
        } catch {
          finish('error', `HTTP ${res.statusCode} (not JSON)`);
          return;
        }
        if (res.statusCode !== 200) {
          finish('error', `HTTP ${res.statusCode} ${answer.error?.code ?? answer.code ?? ''}`);
        } else if (answer.delivered === true) {
          finish('acked', String(answer.connections ?? ''));
        } else if (answer.delivered === false) {
          finish('fallback', answer.reason ?? 'unknown');
        } else finish('error', 'HTTP 200 without delivered');
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      finish('error', `request ${err.code ?? err.message}`);
    });
    req.end(body);
  }

  private report(): void {
    const histograms = this.latency.count > 0 ? { deliverResult: this.latency.toData() } : {};
    this.options.onTick({
      kind: 'tick',
      index: SENDER_TICK_INDEX,
      connected: 0,
      counters: this.counters,
      histograms,
    });
    this.counters = emptyCounters();
    this.latency = new Histogram();
  }
}
