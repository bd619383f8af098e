/**
 * The consumers of tracker changes and their one order (see change-router.ts). A consumer's
 * owner attaches it to its slot; the router calls the slots in this order, each with the change
 * grouped by topic, so what one consumer may rely on of the ones before it is written here:
 *
 * 1. `fanOut`: the gateway's outbound side: drops the `presence_state` fragments of the changed
 *    topics, then owes each topic's change to the sockets watching it (timed: the
 *    `presence_fanout_seconds` metric). First, so nothing sends a state or a diff from before it.
 * 2. `leaveGrace`: a reconnect of a graced device ends its grace (an untrack: a new change, routed
 *    after this one, so every consumer sees the join before that leave).
 * 3. `counts`: friends online per connection, count-only rooms.
 * 4. `delivery`: a user with pending deliveries joined somewhere: the delivery is sent there.
 * 5. `onlineFeed`: the backend's online/offline transitions (webhooks, the last-seen recorder).
 * 6. `lastSeen`: a user's last visible device left: friends get their last seen.
 * 7. `metrics`: observation only (fan-out time, replica events in the log).
 */
import type { ReplicaEvent } from '../ports/presence-tracker.js';
import type { RoutedChange } from './routed-change.js';

export const CONSUMER_ORDER = [
  'fanOut',
  'leaveGrace',
  'counts',
  'delivery',
  'onlineFeed',
  'lastSeen',
  'metrics',
] as const;

export type ConsumerSlot = (typeof CONSUMER_ORDER)[number];

export interface ChangeConsumer {
  /** A tracker change, grouped by topic. */
  changed?(change: RoutedChange): void;
  /** Another replica came up, went down or was forgotten; before the change it causes. */
  replicaChanged?(event: ReplicaEvent): void;
}

/** Where a consumer's owner attaches it. */
export interface ChangeRoutes {
  /** Adds `consumer` to `slot` (after those already there); returns its detach. */
  attach(slot: ConsumerSlot, consumer: ChangeConsumer): () => void;
}
