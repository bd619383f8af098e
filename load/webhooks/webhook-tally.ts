/**
 * What the load run's webhook receiver counts (load/webhooks/receiver-server.ts): events per
 * type, repeats of an id (a retry of an event that had arrived: at least once), a user told
 * online twice in a row (two senders, or a lost offline), per-user sequence going backwards, the
 * delay from the event's `at` to its arrival, and when each new event arrived. Pure: the caller
 * gives the arrival time.
 */
import { Histogram, type LatencySummary } from '../histogram.js';

/** What GET /stats answers. Arrival times and `at` are ms since the epoch. */
export interface WebhookTallySnapshot {
  /** Requests whose body was an event, repeats included. */
  readonly requests: number;
  /** New events (first arrival of an id), per type. */
  readonly online: number;
  readonly offline: number;
  /** Arrivals of an id that had arrived before. */
  readonly duplicates: number;
  /** Bodies that were not an event (not JSON, unknown type, missing fields). */
  readonly malformed: number;
  /** Distinct users with at least one `user.online`. */
  readonly usersOnline: number;
  /** A new `user.online` for a user whose previous new event was `user.online` too. */
  readonly onlineTwiceInARow: number;
  /** A new event whose `seq` is not above the highest seen for its user. */
  readonly seqNotIncreasing: number;
  /** Arrival − `at` of each new event. */
  readonly delayMs: LatencySummary;
  /** Arrival time of each new `user.online` / `user.offline`, in arrival order. */
  readonly onlineArrivals: readonly number[];
  readonly offlineArrivals: readonly number[];
  /** Users with a `user.online` (empty in `GET /stats?counts`). */
  readonly onlineUsers: readonly string[];
  /** The first users told online twice in a row, with the `at` of each `user.online`. */
  readonly onlineTwice: readonly { readonly user: string; readonly at: readonly number[] }[];
  /** Signatures checked on a sample of requests, and how many did not verify. */
  readonly signaturesChecked: number;
  readonly badSignatures: number;
}

interface UserState {
  seq: number;
  last: 'user.online' | 'user.offline';
  lastAt: number;
}

/** How many users told online twice the snapshot names. */
const NAMED_AT_MOST = 20;

export class WebhookTally {
  private requests = 0;
  private duplicates = 0;
  private malformed = 0;
  private onlineTwiceInARow = 0;
  private seqNotIncreasing = 0;
  private signaturesChecked = 0;
  private badSignatures = 0;
  private readonly ids = new Set<string>();
  private readonly users = new Map<string, UserState>();
  private readonly usersOnline = new Set<string>();
  private readonly delay = new Histogram();
  private readonly onlineArrivals: number[] = [];
  private readonly offlineArrivals: number[] = [];
  private readonly onlineTwice: { user: string; at: number[] }[] = [];

  /** One request's raw body, arrived at `arrivalMs`. */
  record(body: string, arrivalMs: number): void {
    const event = parseEvent(body);
    if (!event) {
      this.malformed += 1;
      return;
    }
    this.requests += 1;
    if (this.ids.has(event.id)) {
      this.duplicates += 1;
      return;
    }
    this.ids.add(event.id);
    this.delay.record(Math.max(0, arrivalMs - event.at));
    const previous = this.users.get(event.user);
    if (previous && event.seq <= previous.seq) this.seqNotIncreasing += 1;
    if (event.type === 'user.online') {
      if (previous?.last === 'user.online') {
        this.onlineTwiceInARow += 1;
        if (this.onlineTwice.length < NAMED_AT_MOST) {
          this.onlineTwice.push({ user: event.user, at: [previous.lastAt, event.at] });
        }
      }
      this.usersOnline.add(event.user);
      this.onlineArrivals.push(arrivalMs);
    } else {
      this.offlineArrivals.push(arrivalMs);
    }
    this.users.set(event.user, {
      seq: Math.max(event.seq, previous?.seq ?? Number.NEGATIVE_INFINITY),
      last: event.type,
      lastAt: event.at,
    });
  }

  signatureChecked(ok: boolean): void {
    this.signaturesChecked += 1;
    if (!ok) this.badSignatures += 1;
  }

  snapshot(): WebhookTallySnapshot {
    return {
      requests: this.requests,
      online: this.onlineArrivals.length,
      offline: this.offlineArrivals.length,
      duplicates: this.duplicates,
      malformed: this.malformed,
      usersOnline: this.usersOnline.size,
      onlineTwiceInARow: this.onlineTwiceInARow,
      seqNotIncreasing: this.seqNotIncreasing,
      delayMs: this.delay.summary(),
      onlineArrivals: this.onlineArrivals,
      offlineArrivals: this.offlineArrivals,
      onlineUsers: [...this.usersOnline],
      onlineTwice: this.onlineTwice,
      signaturesChecked: this.signaturesChecked,
      badSignatures: this.badSignatures,
    };
  }
}

interface ParsedEvent {
  readonly id: string;
  readonly type: 'user.online' | 'user.offline';
  readonly user: string;
  readonly at: number;
  readonly seq: number;
}

function parseEvent(body: string): ParsedEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, type, user, at, seq } = value as Record<string, unknown>;
  if (typeof id !== 'string' || typeof user !== 'string') return undefined;
  if (type !== 'user.online' && type !== 'user.offline') return undefined;
  if (typeof at !== 'number' || typeof seq !== 'number') return undefined;
  return { id, type, user, at, seq };
}
