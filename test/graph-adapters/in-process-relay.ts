/**
 * A change relay between adapter instances in one process, standing in for the replication
 * transport: delivers each change to every other connected instance, asynchronously, in order.
 */
import type { EdgeChange, FriendsGraphChangeRelay } from '../../src/ports/friends-graph.js';

export function createRelayHub(): { connect(): FriendsGraphChangeRelay } {
  const members = new Set<{ receivers: Set<(change: EdgeChange) => void> }>();
  return {
    connect() {
      const self = { receivers: new Set<(change: EdgeChange) => void>() };
      members.add(self);
      return {
        publish(change) {
          for (const member of members) {
            if (member === self) continue;
            queueMicrotask(() => {
              for (const receive of member.receivers) receive(change);
            });
          }
        },
        subscribe(onRemoteChange) {
          self.receivers.add(onRemoteChange);
          return () => self.receivers.delete(onRemoteChange);
        },
      };
    },
  };
}
