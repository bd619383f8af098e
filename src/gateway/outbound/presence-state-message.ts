/**
 * A connection's first `presence_state`, concatenated from cached JSON fragments instead of
 * built as objects and encoded for that one socket.
 *
 * A friend's part of the state (`"<id>":{"metas":[...]}`) is the same for every viewer, so it is
 * encoded once and kept until a tracker diff touches its topic. A connect then costs a lookup per
 * friend and one string join, and a user with thousands of online friends holds the loop for a
 * join of cached strings, not for thousands of meta copies and one huge JSON.stringify (with
 * socket.io's binary scan before it). Only topics with presences are cached: the cache is bounded
 * by the online topics.
 *
 * A fragment depends on the tracker's view and on the ref key its `phx_ref`s are signed with, so
 * the cache is one per gateway (which has one of each), built with both and dropped with it, never
 * shared through a module-level map: two gateways on one replica with different ref secrets each
 * send their own refs. The fan-out (fan-out.ts, the change router's first consumer) drops the
 * fragments of the topics a change touches before anything else sees that change.
 *
 * The string goes straight to the engine.io connection, framed exactly as socket.io's default
 * parser frames an event. Sockets whose server uses another parser get the object as before.
 * Like any direct engine write, it skips socket.io's `onAnyOutgoing` listeners.
 */
import type { RoutedChange } from '../../change-router/routed-change.js';
import type { PresenceMap } from '../../domain/client-protocol.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import type { UserId } from '../../domain/user-id.js';
import type { TrackerView } from '../../ports/presence-tracker.js';
import { eventPacket, rawPacketsSupported } from './diff-packet.js';
import { addMetas, emptyPresenceMap } from './wire-payload.js';
import type { WireRefs } from './wire-refs.js';

/** One gateway's cached `presence_state` fragments, by topic. */
export class PresenceStateFragments {
  private readonly fragments = new Map<string, string>();

  constructor(
    readonly view: TrackerView,
    readonly refs: WireRefs,
  ) {}

  /** The topics `change` touches are stale. */
  changed(change: RoutedChange): void {
    for (const topic of change.topics.keys()) this.fragments.delete(topic);
  }

  /** `"<key>":{"metas":[...]}` of `key` on `topic`, or '' when nobody is there. */
  of(topic: string, key: string): string {
    const cached = this.fragments.get(topic);
    if (cached !== undefined) return cached;
    const presences = this.view.get(topic, key);
    if (presences.length === 0) return '';
    const map = emptyPresenceMap();
    addMetas(map, key, presences, this.refs);
    const fragment = JSON.stringify(map).slice(1, -1);
    this.fragments.set(topic, fragment);
    return fragment;
  }
}

/**
 * Sends `presence_state` to `socket`: the user's own metas (their `user:` and `self:` topics under
 * one key) and every visible friend's, read from the tracker now.
 */
export function sendPresenceState(
  socket: PresenceSocket,
  fragments: PresenceStateFragments,
  userId: UserId,
  ownTopics: readonly [string, string],
  visible: Iterable<UserId>,
  topicOf: (userId: UserId) => string,
): void {
  const { view, refs } = fragments;
  const own = emptyPresenceMap();
  addMetas(own, userId, view.get(ownTopics[0], userId), refs);
  addMetas(own, userId, view.get(ownTopics[1], userId), refs);
  const nsp = socket.nsp.name;
  if (!rawPacketsSupported(socket.nsp.server, nsp)) {
    const presences: PresenceMap = own;
    for (const user of visible) addMetas(presences, user, view.get(topicOf(user), user), refs);
    socket.emit('presence_state', presences);
    return;
  }
  const parts: string[] = [];
  const ownJson = JSON.stringify(own);
  if (ownJson !== '{}') parts.push(ownJson.slice(1, -1));
  for (const user of visible) {
    const fragment = fragments.of(topicOf(user), user);
    if (fragment !== '') parts.push(fragment);
  }
  // What socket.io does for an emit: dropped unless the connection is open, compressible.
  if (socket.conn.readyState !== 'open') return;
  socket.conn.write(eventPacket(nsp, 'presence_state', `{${parts.join(',')}}`), {
    compress: true,
  });
}
