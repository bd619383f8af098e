/**
 * Online/offline webhooks: each transition this node owns becomes one `user.online` or
 * `user.offline` event for the sender (src/webhooks/webhook-sender.ts), which signs, queues and
 * retries it. Only owned transitions: exactly one node of the cluster sends each event. Invisible
 * users never produce one (their connections are not on `user:<id>`).
 */
import { createWebhookEvent } from '../webhooks/webhook-event.js';
import type { WebhookSender } from '../webhooks/webhook-sender.js';
import type { UserOnlineFeed, UserOnlineTransition } from './user-online-feed.js';

/** Feeds `sender` from `feed`; returns the function that stops it. */
export function dispatchWebhooks(feed: UserOnlineFeed, sender: WebhookSender): () => void {
  const onTransition = ({ owned, type, user, at, seq }: UserOnlineTransition) => {
    if (!owned) return;
    sender.enqueue(
      type === 'online'
        ? createWebhookEvent({ type: 'user.online', user, at, seq })
        : createWebhookEvent({ type: 'user.offline', user, at, seq, lastSeen: at }),
    );
  };
  feed.on('transition', onTransition);
  return () => feed.off('transition', onTransition);
}
