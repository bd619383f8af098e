/**
 * The backend's side of presence on one node, as the server runs it: the online feed watching the
 * replica, the last-seen recorder and the webhook sender acting on the transitions this node owns,
 * and their shutdown in order (stop watching, then let the writes and the queued events finish).
 */
import type { ChangeRoutes } from '../change-router/change-routes.js';
import { positiveOption } from '../domain/positive-option.js';
import { LastSeenRecorder, type LastSeenRecorderStats } from '../last-seen/last-seen-recorder.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import type { PresenceTracker } from '../ports/presence-tracker.js';
import { resolveWebhookOptions, type WebhookOptions } from '../webhooks/webhook-options.js';
import { WebhookSender } from '../webhooks/webhook-sender.js';
import { UserOnlineFeed } from './user-online-feed.js';
import { dispatchWebhooks } from './webhook-dispatch.js';

/** How long close() waits for queued webhook events before dropping them. */
const WEBHOOK_DRAIN_MS = 2_000;

export interface BackendPresenceOptions {
  readonly lastSeen?: LastSeenStore;
  readonly webhooks?: WebhookOptions;
  readonly offlineDelayMs?: number;
  readonly ownerWarmUpMs?: number;
}

/** Throws InvalidOptionError naming the option: call before building anything else. */
export function checkBackendPresenceOptions(options: BackendPresenceOptions, where: string): void {
  for (const name of ['offlineDelayMs', 'ownerWarmUpMs'] as const) {
    const value = options[name];
    if (value !== undefined) positiveOption(`${where}: ${name}`, value);
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
  ) {
    this.online = new UserOnlineFeed({
      replica,
      changes,
      offlineDelayMs: options.offlineDelayMs,
      ownerWarmUpMs: options.ownerWarmUpMs,
    });
    this.online.start();
    this.recorder = options.lastSeen && new LastSeenRecorder(this.online, options.lastSeen, logger);
    this.webhooks = options.webhooks && new WebhookSender({ ...options.webhooks, logger });
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
