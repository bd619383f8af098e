/**
 * How many of a user's friends are online, maintained for the users connected to this node.
 *
 * Each subscribed connection is a watch: the set of friends its subscription covers (exactly the
 * `user:` rooms it is in, so never a friend the graph hides) and how many of them are online.
 * Online means the friend's `user:` topic has a visible presence: an invisible friend is tracked
 * on `self:` and is not. The count moves when a watched friend's topic goes empty ↔ non-empty
 * (read from the tracker on each diff that touches the topic, so down/up/permdown, merges and
 * transfers all count) and when the subscription changes (graph changes). O(1) to read; a
 * topic change costs O(watchers of that friend on this node).
 */
import type { RoutedChange } from '../change-router/routed-change.js';
import type { UserId } from '../domain/user-id.js';

/** One subscribed connection's view: its friends and how many are online. */
export interface FriendWatch {
  readonly owner: UserId;
  readonly friends: ReadonlySet<UserId>;
  readonly online: number;
}

class Watch implements FriendWatch {
  friends = new Set<UserId>();
  online = 0;
  constructor(readonly owner: UserId) {}
}

export class FriendsOnline {
  /** Friend → the watches that include them: one alone (the common case: no Set), or a Set. */
  private readonly watchers = new Map<UserId, Watch | Set<Watch>>();
  /** Watched friends whose topic is non-empty, as of the last diff that touched it. */
  private readonly onlineFriends = new Set<UserId>();
  private readonly watches = new Map<object, Watch>();
  /** Owner → their watches, the latest subscribed last. */
  private readonly byOwner = new Map<UserId, Watch[]>();

  /**
   * `isOnline(friend)` reads the tracker (`user:<friend>` has a visible presence); `userTopicPrefix`
   * says which diffs concern friends (a presence's key on those topics is its user id).
   */
  constructor(
    private readonly isOnline: (friend: UserId) => boolean,
    private readonly userTopicPrefix: string,
  ) {}

  /** The number of `owner`'s friends online, if a connection of theirs is subscribed here. */
  of(owner: UserId): number | undefined {
    const watches = this.byOwner.get(owner);
    return watches?.[watches.length - 1]?.online;
  }

  /** Sets what the connection `handle` watches (its whole subscription). O(changes + degree). */
  watch(handle: object, owner: UserId, friends: Iterable<UserId>): void {
    let watch = this.watches.get(handle);
    if (watch === undefined) {
      watch = new Watch(owner);
      this.watches.set(handle, watch);
      this.byOwner.set(owner, [...(this.byOwner.get(owner) ?? []), watch]);
      // A connection's first subscription (every connect): nothing to diff against, no copy.
      for (const friend of friends) {
        if (friend !== owner && !watch.friends.has(friend)) this.add(watch, friend);
      }
      return;
    }
    const next = new Set<UserId>();
    for (const friend of friends) if (friend !== owner) next.add(friend);
    for (const friend of watch.friends) if (!next.has(friend)) this.drop(watch, friend);
    for (const friend of next) if (!watch.friends.has(friend)) this.add(watch, friend);
  }

  /** The connection stopped seeing `friends` (an edge was removed). */
  unwatchSome(handle: object, friends: Iterable<UserId>): void {
    const watch = this.watches.get(handle);
    if (watch === undefined) return;
    for (const friend of friends) if (watch.friends.has(friend)) this.drop(watch, friend);
  }

  /** The connection closed. */
  unwatch(handle: object): void {
    const watch = this.watches.get(handle);
    if (watch === undefined) return;
    this.watches.delete(handle);
    for (const friend of watch.friends) this.drop(watch, friend);
    const rest = (this.byOwner.get(watch.owner) ?? []).filter((w) => w !== watch);
    if (rest.length === 0) this.byOwner.delete(watch.owner);
    else this.byOwner.set(watch.owner, rest);
  }

  /** Every watch, for tests and diagnostics. */
  all(): FriendWatch[] {
    return [...this.watches.values()];
  }

  /** Applies a tracker diff: friends whose topic went empty ↔ non-empty move their watchers. */
  applyChange(change: RoutedChange): void {
    for (const [topic, { joins, leaves }] of change.topics) {
      if (!topic.startsWith(this.userTopicPrefix)) continue;
      for (const presence of joins) this.recheck(topic, presence.key);
      for (const presence of leaves) this.recheck(topic, presence.key);
    }
  }

  private recheck(topic: string, friend: UserId): void {
    const watchers = this.watchers.get(friend);
    if (watchers === undefined || !topic.startsWith(this.userTopicPrefix)) return;
    const online = this.isOnline(friend);
    if (online === this.onlineFriends.has(friend)) return;
    if (online) this.onlineFriends.add(friend);
    else this.onlineFriends.delete(friend);
    const step = online ? 1 : -1;
    if (watchers instanceof Watch) watchers.online += step;
    else for (const watch of watchers) watch.online += step;
  }

  private add(watch: Watch, friend: UserId): void {
    watch.friends.add(friend);
    const watchers = this.watchers.get(friend);
    if (watchers === undefined) {
      // First watcher: the cache starts from the tracker; later diffs keep it current.
      this.watchers.set(friend, watch);
      if (this.isOnline(friend)) this.onlineFriends.add(friend);
    } else if (watchers instanceof Watch) this.watchers.set(friend, new Set([watchers, watch]));
    else watchers.add(watch);
    if (this.onlineFriends.has(friend)) watch.online++;
  }

  private drop(watch: Watch, friend: UserId): void {
    watch.friends.delete(friend);
    if (this.onlineFriends.has(friend)) watch.online--;
    const watchers = this.watchers.get(friend);
    if (watchers instanceof Set) {
      watchers.delete(watch);
      if (watchers.size === 1) this.watchers.set(friend, [...watchers][0]!);
    } else if (watchers === watch) {
      this.watchers.delete(friend);
      this.onlineFriends.delete(friend);
    }
  }
}
