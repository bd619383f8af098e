/**
 * `presence:last_seen_visibility (visibility, ack)`: a user sets who may see their last seen,
 * `friends` or `nobody`, for all their devices. Acks `ok`, or `invalid_setting` for anything
 * else, `rate_limited` past a write a second (bursts of 5) per connection: each is a store write,
 * or `unavailable` when there is no store or it did not take the write (nothing changed).
 */
import type { LastSeenVisibilitySetting } from '../../domain/client-protocol.js';
import type { UserId } from '../../domain/user-id.js';
import type { LastSeenStore } from '../../ports/last-seen-store.js';
import type { Logger } from '../../ports/logger.js';
import { TokenBucket } from '../edge/token-bucket.js';
import { failure, OK, readUpdateRequest } from './update-request.js';

const SETTINGS: ReadonlySet<unknown> = new Set<LastSeenVisibilitySetting>(['friends', 'nobody']);

/** A setting changes rarely: a write a second per connection, bursts of 5. */
export function lastSeenSettingBucket(now: number): TokenBucket {
  return new TokenBucket(1, 5, now);
}

export function setLastSeenVisibility(
  store: LastSeenStore | undefined,
  user: UserId,
  args: readonly unknown[],
  logger: Logger,
  writes: { readonly bucket: TokenBucket; readonly now: number },
): void {
  const request = readUpdateRequest(args, logger);
  const visibility = request.patch;
  if (!SETTINGS.has(visibility)) {
    request.reply(failure('invalid_setting', 'last-seen visibility must be "friends" or "nobody"'));
    return;
  }
  if (store === undefined) {
    request.reply(failure('unavailable', 'this server keeps no last seen'));
    return;
  }
  if (!writes.bucket.take(writes.now)) {
    request.reply(failure('rate_limited', 'last-seen visibility: at most one change a second'));
    return;
  }
  store.setVisibility(user, visibility as LastSeenVisibilitySetting).then(
    () => request.reply(OK),
    (err: unknown) => {
      logger.warn({ err, user }, 'last-seen visibility not stored');
      request.reply(failure('unavailable', 'the last-seen store is unavailable: retry later'));
    },
  );
}
