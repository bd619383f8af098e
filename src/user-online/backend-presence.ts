/**
 * The backend's side of presence on one node, as the server runs it: the online feed watching the
 * replica, the last-seen recorder and the webhook sender acting on the transitions this node owns,
 * and their shutdown in order (stop watching, then let the writes and the queued events finish).
 */
import type { ChangeRoutes } from '../change-router/change-routes.js';
import { LastSeenRecorder, type LastSeenRecorderStats } from '../last-seen/last-seen-recorder.js';
import {
  BACKEND_OPTIONS,
  type IntegerSpec,
  integerOption,
  type LibraryOptions,
  libraryOptionNames,
} from '../options/index.js';
import { type ServerClock, wallClockOf } from '../ports/clock.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { resolveWebhookOptions, type WebhookOptions } from '../webhooks/webhook-options.js';
import { WebhookSender } from '../webhooks/webhook-sender.js';
import { UserOnlineFeed } from './user-online-feed.js';
import { dispatchWebhooks } from './webhook-dispatch.js';

/** How long close() waits for queued webhook events before dropping them. */
const WEBHOOK_DRAIN_MS = 2_000;

/** The numeric ones (offlineDelayMs, ownerWarmUpMs): src/options/backend-options.ts. */
export interface BackendPresenceOptions extends LibraryOptions<typeof BACKEND_OPTIONS.options> {
  readonly lastSeen?: LastSeenStore;
  readonly webhooks?: WebhookOptions;
}

/** Throws InvalidOptionError naming the option: call before building anything else. */
export function checkBackendPresenceOptions(
  options: Omit<BackendPresenceOptions, 'lastSeen'>,
  where: string,
): void {
  for (const name of libraryOptionNames(BACKEND_OPTIONS.options)) {
    const key = name as keyof typeof BACKEND_OPTIONS.options;
    integerOption(
      name,
      BACKEND_OPTIONS.options[key] as IntegerSpec,
      options[name as 'offlineDelayMs'],
      where,
    );
  }
  if (options.webhooks !== undefined) resolveWebhookOptions(options.webhooks, 'webhooks');
}

export class BackendPresence {
  /** Users' online/offline transitions as this node sees them, and which it owns. */
  readonly online: UserOnlineFeed;
  /** The webhook sender, when `webhooks` was given. */
  readonly webhooks: WebhookSender | undefined;
  private readonly recorder: LastSeenRecorder | undefined;

  /** Starts watching `replica`: build it before the replica starts, so no transition is missed. */
  constructor(
    replica: PresenceTracker,
    changes: ChangeRoutes,
    options: BackendPresenceOptions,
    logger: Logger,
    /** The server's clock: offline delays, ownership, webhook retries and signatures. */
    clock: ServerClock,
  ) {
    this.online = new UserOnlineFeed({
      replica,
      changes,
      offlineDelayMs: options.offlineDelayMs,
      ownerWarmUpMs: options.ownerWarmUpMs,
      clock,
    });
    this.online.start();
    this.recorder = options.lastSeen && new LastSeenRecorder(this.online, options.lastSeen, logger);
    this.webhooks =
      options.webhooks &&
      new WebhookSender({
        ...options.webhooks,
        logger,
        timers: clock,
        wallClockMs: wallClockOf(clock),
      });
    if (this.webhooks?.warning !== undefined) {
      logger.warn({ option: 'webhooks.url' }, this.webhooks.warning);
    }
    if (this.webhooks) dispatchWebhooks(this.online, this.webhooks);
  }

  /** The recorder's writes, when there is a last-seen store. */
  get lastSeenWrites(): LastSeenRecorderStats | undefined {
    return this.recorder?.stats;
  }

  /**
   * Stops watching. `lastNodeUp`: users still within their offline delay go offline now, as
   * nobody else will; a node that leaves others behind leaves that to them.
   */
  stop(lastNodeUp: boolean): void {
    this.online.stop({ flush: lastNodeUp });
  }

  /** After stop(): the last-seen writes begun, and a short wait for queued webhook events. */
  async close(): Promise<void> {
    await this.recorder?.close();
    if (this.webhooks === undefined) return;
    await this.webhooks.drain(WEBHOOK_DRAIN_MS);
    this.webhooks.close();
  }
}
