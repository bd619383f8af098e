/**
 * A webhook sender wired to a real receiver on 127.0.0.1, its timers on a manual clock, its
 * outcomes and log lines recorded; and `drain`, which runs it until it holds nothing.
 */
import type { Logger } from '../../../src/ports/logger.js';
import { createWebhookEvent, type WebhookEvent } from '../../../src/webhooks/webhook-event.js';
import {
  type WebhookOutcome,
  WebhookSender,
  type WebhookSenderOptions,
} from '../../../src/webhooks/webhook-sender.js';
import { ManualClock } from '../../support/manual-clock.js';
import { waitFor } from '../../support/wait-for.js';
import {
  type Answer,
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from './webhook-receiver.js';

export const SECRET = 'webhook-sender-test-secret-of-32-bytes';
/** Longer than any backoff (30 s cap) and than the tests' request timeout. */
const LONGER_THAN_ANY_WAIT_MS = 30_000;

let seq = 0;
export const online = (user: string): WebhookEvent =>
  createWebhookEvent({ type: 'user.online', user, at: Date.now(), seq: ++seq });

export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

export interface Harness {
  receiver: WebhookReceiver;
  sender: WebhookSender;
  clock: ManualClock;
  outcomes: Map<string, WebhookOutcome[]>;
  logs: LogLine[];
}

const open: Harness[] = [];

/** Closes every harness made since the last call (call it in afterEach). */
export async function closeHarnesses(): Promise<void> {
  for (const { sender, receiver } of open.splice(0)) {
    sender.close();
    await receiver.close();
  }
}

export async function harness(
  answer: (request: ReceivedRequest, index: number) => Answer,
  options: Partial<WebhookSenderOptions> = {},
): Promise<Harness> {
  const receiver = await startWebhookReceiver(answer);
  const clock = new ManualClock();
  const outcomes = new Map<string, WebhookOutcome[]>();
  const logs: LogLine[] = [];
  const record = (level: string) => (fields: object, message: string) =>
    logs.push({ level, fields: fields as Record<string, unknown>, message });
  const logger: Logger = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
  const sender = new WebhookSender({
    url: receiver.url,
    secret: SECRET,
    timeoutMs: 1_000,
    timers: clock,
    random: () => 0.5,
    logger,
    onOutcome: (event, outcome) =>
      outcomes.set(event.id, [...(outcomes.get(event.id) ?? []), outcome]),
    ...options,
  });
  const h = { receiver, sender, clock, outcomes, logs };
  open.push(h);
  return h;
}

/** Lets queued sends start (they begin after the enqueuing turn). */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs the sender until it holds nothing: waits until every request in flight is one the
 * receiver sits on, then moves the clock past any backoff and request timeout.
 */
export async function drain({ sender, receiver, clock }: Harness): Promise<void> {
  for (;;) {
    // Sends start after the turn that made them ready.
    await nextTurn();
    if (sender.stats.queueDepth === 0) return;
    await waitFor(() => sender.stats.inFlight === receiver.hanging, {
      description: 'requests in flight answered or hanging',
    });
    clock.advance(LONGER_THAN_ANY_WAIT_MS);
  }
}
