/**
 * `presence:room:join` and `presence:room:leave` of one connection (count-only rooms, an extension
 * of the client protocol): validation, the per-connection cap and rate limit, the app's
 * authorizeRoom hook, and the connection's membership, which ends with the connection.
 *
 * Members receive `presence_count` through a socket.io room of their own (`count-members:<room>`),
 * never through the tracker topic `count:<room>`, whose entries name nodes: a client learns a
 * number, nothing else.
 */
import type { RoomCounts } from '../../counts/room-counts.js';
import { type ResolvedCountRoomOptions, roomNameProblem } from '../../counts/room-options.js';
import type { ClientError, RoomJoinAck, UpdateAck } from '../../domain/client-protocol.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import type { Timers } from '../../ports/clock.js';
import { raceDeadline } from '../../ports/deadline.js';
import type { Logger } from '../../ports/logger.js';
import type { TokenBucket } from '../edge/token-bucket.js';
import type { PresenceNamespace } from '../outbound/fan-out.js';
import { failure, OK } from './update-request.js';

/** The socket.io room of a count-only room's members on this node. */
export function countMembersRoom(room: string): string {
  return `count-members:${room}`;
}

/** Sends a room's new count to this node's members of it. */
export function emitRoomCount(nsp: PresenceNamespace, room: string, count: number): void {
  nsp.local.to(countMembersRoom(room)).emit('presence_count', { room, count });
}

export interface RoomEventContext {
  readonly rooms: RoomCounts;
  readonly options: ResolvedCountRoomOptions;
  /** Shared by joins and leaves of this connection. */
  readonly bucket: TokenBucket;
  readonly now: () => number;
  /** The server's timers (authorizeRoom's deadline). */
  readonly timers: Timers;
  readonly logger: Logger;
}

/** Reads `(room, ack)` as sent by any client: the ack is the last argument if it is a function. */
function readRoomRequest(
  args: readonly unknown[],
  logger: Logger,
): { room: unknown; reply: (result: RoomJoinAck | UpdateAck) => void } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (result: unknown) => void) : undefined;
  return {
    room: args.length > 0 && args[0] !== ack ? args[0] : undefined,
    reply(result) {
      try {
        ack?.(result);
      } catch (err) {
        logger.warn({ err }, 'room ack failed');
      }
    },
  };
}

const fail = (code: ClientError['code'], message: string) => failure(code, message);

/**
 * The count-only rooms of one connection. An invisible connection stays in its rooms and keeps
 * receiving their counts, but is not counted (like everywhere else, it is not online).
 */
export class RoomMembership {
  private readonly joined = new Set<string>();
  private readonly pending = new Set<string>();
  private closed = false;

  constructor(
    private readonly socket: PresenceSocket,
    private readonly userId: string,
    private readonly context: RoomEventContext,
    /** False while the connection is invisible. */
    private counted: boolean,
  ) {
    socket.on('presence:room:join', (...args: unknown[]) => this.join(args));
    socket.on('presence:room:leave', (...args: unknown[]) => this.leave(args));
    socket.on('disconnect', () => this.close());
  }

  /** The connection became visible (counted) or invisible (not counted) in its rooms. */
  setCounted(counted: boolean): void {
    if (counted === this.counted || this.closed) return;
    this.counted = counted;
    const { rooms } = this.context;
    for (const room of this.joined) {
      if (counted) rooms.add(room);
      else rooms.remove(room);
    }
  }

  private join(args: readonly unknown[]): void {
    const { rooms, options, logger } = this.context;
    const request = this.readRequest(args);
    if (request === undefined) return;
    const { room, reply } = request;
    if (this.joined.has(room)) {
      reply({ ok: true, count: rooms.count(room) });
      return;
    }
    if (this.joined.size + this.pending.size >= options.maxRoomsPerConnection) {
      reply(
        fail(
          'too_many_rooms',
          `a connection may be in at most ${options.maxRoomsPerConnection} rooms; leave one first`,
        ),
      );
      return;
    }
    this.pending.add(room);
    authorize(this.userId, room, options, this.context.timers).then(
      (allowed) => {
        this.pending.delete(room);
        if (this.closed) return;
        if (!allowed) {
          reply(fail('forbidden', 'you may not join this room'));
          return;
        }
        if (!this.joined.has(room)) {
          this.joined.add(room);
          this.socket.join(countMembersRoom(room));
          if (this.counted) rooms.add(room);
        }
        reply({ ok: true, count: rooms.count(room) });
      },
      (err: unknown) => {
        this.pending.delete(room);
        logger.warn({ err, user: this.userId }, 'authorizeRoom failed');
        reply(fail('internal', 'the room could not be authorized; retry later'));
      },
    );
  }

  private leave(args: readonly unknown[]): void {
    const request = this.readRequest(args);
    if (request === undefined) return;
    const { room, reply } = request;
    if (this.joined.delete(room)) {
      this.socket.leave(countMembersRoom(room));
      if (this.counted) this.context.rooms.remove(room);
    }
    reply(OK);
  }

  /** The request's room and reply after the rate limit and the name check (which reply). */
  private readRequest(
    args: readonly unknown[],
  ): { room: string; reply: (result: RoomJoinAck | UpdateAck) => void } | undefined {
    const { bucket, now, logger } = this.context;
    const { room, reply } = readRoomRequest(args, logger);
    if (this.closed) return undefined;
    if (!bucket.take(now())) {
      reply(fail('rate_limited', 'too many room requests; slow down and retry'));
      return undefined;
    }
    const problem = roomNameProblem(room);
    if (problem !== undefined || typeof room !== 'string') {
      reply(fail('invalid_room', problem ?? 'the room name must be a string'));
      return undefined;
    }
    return { room, reply };
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.counted) for (const room of this.joined) this.context.rooms.remove(room);
    this.joined.clear();
  }
}

async function authorize(
  userId: string,
  room: string,
  options: ResolvedCountRoomOptions,
  timers: Timers,
): Promise<boolean> {
  const hook = options.authorizeRoom;
  if (hook === undefined) return true;
  const { authorizeTimeoutMs } = options;
  const answer = await raceDeadline(
    Promise.resolve(hook(userId, room)),
    authorizeTimeoutMs,
    () => new Error(`authorizeRoom took over ${authorizeTimeoutMs} ms`),
    timers,
  );
  return answer === true;
}
