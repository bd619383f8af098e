/**
 * One connection's `presence:update`s: the rate limit, the patch, the whole-meta limit, one
 * tracker write (an update, or a move when the patch flips `invisible`), the count-only rooms'
 * counting, and the ack once the socket holds its own change.
 */
import type { Meta } from '../../core/index.js';
import { MAX_META_BYTES, MAX_META_KEYS, metaSizeProblem } from '../../domain/limits.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import { selfTopic, topicFor, userTopic } from '../../domain/topics.js';
import type { UserId } from '../../domain/user-id.js';
import { TokenBucket } from '../edge/token-bucket.js';
import { moveConnection, trackedMeta, visibleAgainMeta } from './invisibility.js';
import { checkPatch } from './patch-validation.js';
import type {
  SessionCollaborators,
  SessionConnection,
  SessionOptions,
  TrackedPresence,
} from './session-context.js';
import { failure, OK, readUpdateRequest } from './update-request.js';

type UpdateParts = Pick<SessionCollaborators, 'replica' | 'logger' | 'now' | 'fanOut' | 'outboxes'>;

export class PresenceUpdates {
  private readonly bucket: TokenBucket;
  private closed = false;

  constructor(
    private readonly userId: UserId,
    private readonly socket: PresenceSocket,
    /** The connection id in the tracker (the socket's, or a graced entry's it took over). */
    private readonly conn: string,
    /** What is tracked now: read and, after a tracker write, changed here. */
    private readonly presence: TrackedPresence,
    private readonly countRooms: SessionConnection['countRooms'],
    options: Pick<SessionOptions, 'rateLimit'>,
    private readonly parts: UpdateParts,
  ) {
    this.bucket = new TokenBucket(
      options.rateLimit.perSecond,
      options.rateLimit.burst,
      parts.now(),
    );
  }

  /** The connection closed: later updates are read (and their acks answered) no more. */
  close(): void {
    this.closed = true;
  }

  /** Handles `presence:update (patch, ack)`, whatever the client sent. */
  handle(args: readonly unknown[]): void {
    const { logger, replica, now } = this.parts;
    const request = readUpdateRequest(args, logger);
    if (this.closed) return;
    if (!this.bucket.take(now())) {
      request.reply(failure('rate_limited', 'too many presence updates; slow down and retry'));
      return;
    }
    const checked = checkPatch(request.patch);
    if (!checked.ok) {
      request.reply(failure('invalid_patch', checked.message));
      return;
    }
    const current = this.presence;
    const { invisible: wantInvisible, ...fields } = checked.patch;
    const invisible = typeof wantInvisible === 'boolean' ? wantInvisible : current.invisible;
    const patched: Meta = { ...current.meta, ...fields };
    const meta = current.invisible && !invisible ? visibleAgainMeta(patched, now()) : patched;
    // The gateway owns the client-facing bound on the whole meta (its `meta_too_large`); the
    // tracker then checks once that what it stores can be replicated (src/runtime/replicable-meta.ts).
    if (metaSizeProblem(meta, MAX_META_KEYS, MAX_META_BYTES) !== undefined) {
      request.reply(
        failure(
          'meta_too_large',
          `the presence meta would exceed ${MAX_META_KEYS} keys or ${MAX_META_BYTES} bytes`,
        ),
      );
      return;
    }
    const changed = invisible !== current.invisible || !sameFields(current.meta, meta);
    if (!changed) {
      request.reply(OK);
      return;
    }
    const ok =
      invisible === current.invisible
        ? replica.update(
            topicFor(this.userId, invisible),
            this.userId,
            this.conn,
            trackedMeta(meta, invisible),
          ).ok
        : moveConnection(replica, this.userId, this.conn, meta, invisible);
    if (!ok) {
      logger.error(
        { user: this.userId, conn: this.conn },
        'presence:update: connection not tracked',
      );
      request.reply(failure('internal', 'the presence could not be updated'));
      return;
    }
    current.meta = meta;
    current.invisible = invisible;
    this.countRooms.setCounted(!invisible);
    // This socket sees its own change before the ack, as an app awaiting the update expects.
    const { fanOut, outboxes } = this.parts;
    fanOut.settle(userTopic(this.userId));
    fanOut.settle(selfTopic(this.userId));
    outboxes.flushNow(this.socket.id);
    request.reply(OK);
  }
}

function sameFields(a: Meta, b: Meta): boolean {
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) if (!Object.is(a[key], b[key])) return false;
  return true;
}
