/**
 * What a worker's connections do on the driver's command: connect at a rate, send status
 * updates at a rate, churn (leave and join again), move to the other node.
 */
import { shuffle } from '../social-graph/seeded-random.js';
import type { Client, Connections } from './connections.js';
import type { Measurements } from './measurements.js';
import { nowMs } from './protocol.js';

export class Workloads {
  private updatesTimer: NodeJS.Timeout | undefined;
  private movesTimer: NodeJS.Timeout | undefined;
  private flapsTimer: NodeJS.Timeout | undefined;
  private churning = false;

  constructor(
    private readonly connections: Connections,
    private readonly measure: Measurements,
    private readonly random: () => number,
  ) {}

  /** Opens `ids` at `ratePerSec`, at most `concurrency` at once; resolves when all settled. */
  async connect(ids: readonly number[], ratePerSec: number, concurrency: number): Promise<void> {
    const { connections } = this;
    await connections.prepareTokens(ids);
    await new Promise<void>((resolve) => {
      if (ids.length === 0) return resolve();
      const started = performance.now();
      let next = 0;
      let inFlight = 0;
      let finished = 0;
      const pump = () => {
        const allowed = Math.floor(((performance.now() - started) / 1000) * ratePerSec) + 1;
        while (next < ids.length && next < allowed && inFlight < concurrency) {
          const client = connections.get(ids[next]!);
          next += 1;
          inFlight += 1;
          connections.open(client, 's', () => {
            inFlight -= 1;
            finished += 1;
            if (finished === ids.length) resolve();
          });
        }
        if (next === ids.length) clearInterval(pumping);
      };
      const pumping = setInterval(pump, 5);
      pump();
    });
  }

  /** `ratePerSec` status updates `{ t, q }` over the connections that are up, round robin. */
  startUpdates(ratePerSec: number): void {
    const { connections, measure } = this;
    const order = shuffle(this.random, [...connections.clients.keys()]);
    let cursor = 0;
    let sent = 0;
    const started = performance.now();
    const tick = () => {
      const due = Math.floor(((performance.now() - started) / 1000) * ratePerSec) - sent;
      for (let k = 0; k < due; k += 1) {
        sent += 1;
        let client: Client | undefined;
        for (let tries = 0; tries < order.length; tries += 1) {
          const candidate = connections.get(order[cursor]!);
          cursor = (cursor + 1) % order.length;
          if (candidate.up) {
            client = candidate;
            break;
          }
        }
        if (!client?.socket) continue;
        const id = client.id;
        const seq = ++client.seq;
        measure.counters.updatesSent += 1;
        client.socket.emit('presence:update', { t: nowMs(), q: seq }, (args) => {
          if ((args[0] as { ok?: boolean } | undefined)?.ok) {
            measure.counters.updatesAcked += 1;
            measure.ackedUpdates.push(id, seq);
          } else measure.counters.updatesRejected += 1;
        });
      }
    };
    clearInterval(this.updatesTimer);
    this.updatesTimer = setInterval(tick, 10);
  }

  stopUpdates(): void {
    clearInterval(this.updatesTimer);
  }

  private uniformAround(mean: number): number {
    return mean * (0.5 + this.random());
  }

  /** `ids` leave and join again, each online (and offline) for about `meanLifetimeMs`. */
  startChurn(ids: readonly number[], meanLifetimeMs: number): void {
    const { connections, measure } = this;
    this.churning = true;
    const leaveLater = (client: Client, atMs: number) => {
      client.churnTimer = setTimeout(
        () => {
          if (!this.churning) return;
          connections.close(client);
          measure.counters.leaves += 1;
          rejoinLater(client);
        },
        Math.max(0, atMs - nowMs()),
      );
    };
    const rejoinLater = (client: Client) => {
      client.churnTimer = setTimeout(() => {
        if (!this.churning) return;
        const connectAt = nowMs();
        const leaveAt = connectAt + this.uniformAround(meanLifetimeMs);
        connections.open(client, `c${connectAt.toFixed(1)}:${leaveAt.toFixed(1)}`, (ok) => {
          if (!this.churning) return;
          if (ok) leaveLater(client, leaveAt);
          else rejoinLater(client);
        });
      }, this.uniformAround(meanLifetimeMs));
    };
    for (const id of ids) {
      const client = connections.get(id);
      // Residual lifetime of a connection already up: uniform over one mean lifetime and a half.
      if (client.up) leaveLater(client, nowMs() + this.random() * 1.5 * meanLifetimeMs);
      else rejoinLater(client);
    }
  }

  stopChurn(): void {
    this.churning = false;
    for (const client of this.connections.clients.values()) clearTimeout(client.churnTimer);
  }

  /**
   * Moves: `ratePerSec` connected clients (at random) disconnect, and reconnect to the next node
   * after 0..awayMs (a failed attempt is retried there after 0..awayMs again).
   */
  startMoves(ratePerSec: number, awayMs: number): void {
    const { connections, measure } = this;
    const nodes = connections.nodeCount;
    clearInterval(this.movesTimer);
    this.movesTimer = this.everyConnectedAtRate(ratePerSec, (client) => {
      const move: [number, number, number] = [client.id, nowMs(), -1];
      measure.moves.push(move);
      measure.counters.moves += 1;
      connections.close(client);
      client.node = (client.node + 1) % nodes;
      this.reopenAfter(client, awayMs, () => {
        move[2] = nowMs();
      });
    });
  }

  stopMoves(): void {
    clearInterval(this.movesTimer);
  }

  /**
   * Flaps: `ratePerSec` connected clients (at random) drop their connection without leaving and
   * reconnect after 0..awayMs, to the same node or the next one (a coin toss).
   */
  startFlaps(ratePerSec: number, awayMs: number): void {
    const { connections, measure } = this;
    const nodes = connections.nodeCount;
    clearInterval(this.flapsTimer);
    this.flapsTimer = this.everyConnectedAtRate(ratePerSec, (client) => {
      measure.counters.flaps += 1;
      connections.drop(client);
      if (this.random() < 0.5) client.node = (client.node + 1) % nodes;
      this.reopenAfter(client, awayMs);
    });
  }

  /** Calls `act` on `ratePerSec` connected clients picked at random, until the timer is cleared. */
  private everyConnectedAtRate(ratePerSec: number, act: (client: Client) => void): NodeJS.Timeout {
    const { connections } = this;
    const ids = [...connections.clients.keys()];
    let started = 0;
    const begun = performance.now();
    return setInterval(() => {
      const due = Math.floor(((performance.now() - begun) / 1000) * ratePerSec) - started;
      for (let k = 0; k < due; k += 1) {
        started += 1;
        let client: Client | undefined;
        for (let tries = 0; tries < 20 && !client; tries += 1) {
          const candidate = connections.get(ids[Math.floor(this.random() * ids.length)]!);
          if (candidate.up && candidate.socket) client = candidate;
        }
        if (client) act(client);
      }
    }, 10);
  }

  /** Opens `client` again after 0..awayMs, and again after each failed attempt. */
  private reopenAfter(client: Client, awayMs: number, back?: () => void): void {
    setTimeout(
      () => {
        this.connections.open(client, 's', (ok) => {
          if (ok) back?.();
          else this.reopenAfter(client, awayMs, back);
        });
      },
      Math.floor(this.random() * awayMs),
    );
  }

  stopFlaps(): void {
    clearInterval(this.flapsTimer);
  }

  stopAll(): void {
    this.stopChurn();
    this.stopMoves();
    this.stopFlaps();
    this.stopUpdates();
  }
}
