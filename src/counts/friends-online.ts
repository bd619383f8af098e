/**
 * How many of a user's friends are online, for the users connected to this node: counted when
 * asked, from the friends their latest subscribed connection watches.
 *
 * A connection's friends are exactly the `user:` topics its subscription covers (so never a
 * friend the graph hides); online means the friend's `user:` topic has a visible presence (an
 * invisible friend is tracked on `self:` and is not). Counting on read costs O(degree) per
 * `counts.friendsOnline` call and nothing on the hot paths: keeping counts current cost every
 * connect O(degree) Set inserts and every tracker change a look-up per watcher (≈ 4 % of a
 * connect's CPU in a profile of load/connect-cost-bench.ts), for a number only the backend API
 * reads.
 */
import type { UserId } from '../domain/user-id.js';

/** A subscribed connection: whose it is and the friends it watches now. */
export interface FriendWatch {
  readonly owner: UserId;
  watched(): Iterable<UserId>;
}

export class FriendsOnline {
  /** Owner → their subscribed connections, the latest subscribed last. */
  private readonly byOwner = new Map<UserId, FriendWatch[]>();

  /** `isOnline(friend)` reads the tracker (`user:<friend>` has a visible presence). */
  constructor(private readonly isOnline: (friend: UserId) => boolean) {}

  /** The number of `owner`'s friends online, if a connection of theirs is subscribed here. */
  of(owner: UserId): number | undefined {
    const watches = this.byOwner.get(owner);
    const latest = watches?.[watches.length - 1];
    if (latest === undefined) return undefined;
    let online = 0;
    for (const friend of latest.watched()) {
      if (friend !== owner && this.isOnline(friend)) online++;
    }
    return online;
  }

  /** `watch` subscribed for the first time (later steps change what it watches, not this). */
  watch(watch: FriendWatch): void {
    const watches = this.byOwner.get(watch.owner);
    if (watches === undefined) this.byOwner.set(watch.owner, [watch]);
    else if (!watches.includes(watch)) watches.push(watch);
  }

  /** The connection closed. */
  unwatch(watch: FriendWatch): void {
    const watches = this.byOwner.get(watch.owner);
    if (watches === undefined) return;
    const rest = watches.filter((w) => w !== watch);
    if (rest.length === 0) this.byOwner.delete(watch.owner);
    else this.byOwner.set(watch.owner, rest);
  }
}
