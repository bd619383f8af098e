/**
 * The TrackerView of a PresenceState: a frozen object with only the reads, so a caller cannot
 * reach the state's writes even by a cast (the state itself stays inside the runtime).
 */
import type { PresenceState } from '../core/index.js';
import type { TrackerView } from '../ports/presence-tracker.js';

export function readOnlyView(state: PresenceState): TrackerView {
  return Object.freeze({
    get: (topic: string, key: string) => state.get(topic, key),
    list: (topic: string) => state.list(topic),
    listByKey: (topic: string) => state.listByKey(topic),
    count: (topic: string) => state.count(topic),
    keyCount: (topic: string) => state.keyCount(topic),
    prefixCounts: (prefix: string) => state.prefixCounts(prefix),
    connectionPresences: (conn: string) => state.connectionPresences(conn),
    get size() {
      return state.size;
    },
    get topicCount() {
      return state.topicCount;
    },
    replicas: () => state.replicas(),
    isUp: (ref) => state.isUp(ref),
    clock: () => state.clock(),
    entryCount: (ref) => state.entryCount(ref),
    entriesOf: (ref) => state.entriesOf(ref),
  } satisfies TrackerView);
}
