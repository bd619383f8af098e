/**
 * The gateway's counts, in one place: friends online per subscribed connection (counted on read
 * from what each connection watches), count-only rooms (their replicated counts and each
 * connection's membership) and the `counts` read API over both and the tracker.
 */
import { FriendsOnline } from '../counts/friends-online.js';
import { PresenceCounts } from '../counts/presence-counts.js';
import { RoomCounts } from '../counts/room-counts.js';
import {
  type CountRoomOptions,
  type ResolvedCountRoomOptions,
  resolveCountRoomOptions,
} from '../counts/room-options.js';
import type { PresenceSocket } from '../domain/presence-socket.js';
import { userTopic } from '../domain/topics.js';
import { TokenBucket } from './edge/token-bucket.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';
import type { PresenceNamespace } from './outbound/fan-out.js';
import { emitRoomCount, RoomMembership } from './session/count-room-events.js';

export class GatewayCounts {
  readonly counts: PresenceCounts;
  readonly friendsOnline: FriendsOnline;
  private readonly rooms: RoomCounts;
  private readonly roomOptions: ResolvedCountRoomOptions;

  constructor(
    nsp: PresenceNamespace,
    private readonly options: ResolvedGatewayOptions,
    rooms: CountRoomOptions | undefined,
  ) {
    const { replica, changes, graph, graphTimeoutMs } = options;
    this.roomOptions = resolveCountRoomOptions(rooms);
    this.friendsOnline = new FriendsOnline((friend) => replica.view.count(userTopic(friend)) > 0);
    this.rooms = new RoomCounts({
      replica,
      timers: options.clock,
      changes,
      onCount: (room, count) => emitRoomCount(nsp, room, count),
    });
    this.counts = new PresenceCounts({
      state: replica.view,
      graph,
      graphTimeoutMs,
      timers: options.clock,
      friends: this.friendsOnline,
      rooms: this.rooms,
    });
  }

  /**
   * A connection's count-only rooms, counting it while it is visible; its session calls
   * `setCounted` when an update changes that (session/presence-updates.ts).
   */
  connected(socket: PresenceSocket, userId: string, invisible: boolean): RoomMembership {
    const { rateLimit, now, logger, clock } = this.options;
    return new RoomMembership(
      socket,
      userId,
      {
        rooms: this.rooms,
        options: this.roomOptions,
        bucket: new TokenBucket(rateLimit.perSecond, rateLimit.burst, now()),
        now,
        timers: clock,
        logger,
      },
      !invisible,
    );
  }

  /** Publishes the last room counts and stops following the tracker. */
  close(): void {
    this.rooms.close();
  }
}
