/**
 * The online/offline webhook's event and its JSON body (docs/webhooks.md, "Events"). The id is
 * fixed when the event is made, so every retry carries the same one and a receiver can dedupe.
 */
import { randomUUID } from 'node:crypto';

export type WebhookEventType = 'user.online' | 'user.offline';

export interface WebhookEvent {
  /** Unique per event, the same on every retry. */
  readonly id: string;
  readonly type: WebhookEventType;
  readonly user: string;
  /** When the transition happened, ms since the epoch. */
  readonly at: number;
  /** Per-user sequence number: a receiver keeps the highest it has seen per user. */
  readonly seq: number;
  /** Only on user.offline: when the user was last seen, ms since the epoch. */
  readonly lastSeen?: number;
}

/** A new event with a fresh random id. */
export function createWebhookEvent(fields: Omit<WebhookEvent, 'id'>): WebhookEvent {
  return { id: randomUUID(), ...fields };
}

/** The request body: exactly the event's fields, `lastSeen` only on user.offline. */
export function webhookBody(event: WebhookEvent): string {
  const { id, type, user, at, seq, lastSeen } = event;
  return JSON.stringify(
    type === 'user.offline' && lastSeen !== undefined
      ? { id, type, user, at, seq, lastSeen }
      : { id, type, user, at, seq },
  );
}
