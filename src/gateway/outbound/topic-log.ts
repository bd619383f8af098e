/**
 * The changes of one topic's key, in order, shared by every outbox that owes them: an outbox holds,
 * per topic and key, a reference to the first change it is owed, never a copy.
 *
 * A socket in a topic's room is owed every change of that topic from the first one it has not
 * been written yet: a contiguous run of the topic's log. So owing a change is O(1) and allocates
 * nothing per socket: an outbox that already points into the log needs nothing more (the change
 * is linked after what it points to), one that does not stores a reference to it. When the outbox
 * is flushed, the run from its first change to the log's last is folded (key-change.ts) once for
 * every socket that starts at the same change, and its JSON encoded once ({@link SharedFold}).
 *
 * A log lives while an outbox points into it (`holders`); the next change of a topic nobody owes
 * anything starts a new one, and old changes nobody points to are garbage.
 */
import type { WireMeta } from '../../domain/client-protocol.js';
import { type KeyChange, type OwedKey, PendingKey } from './key-change.js';

/** One topic's key: its last change and how many outboxes point into its changes. */
export class TopicLog {
  last: LoggedChange | undefined = undefined;
  holders = 0;

  constructor(
    readonly topic: string,
    readonly key: string,
    /** Its name in {@link TopicLogs}. */
    readonly id: string,
  ) {}
}

/** A change in its topic's log. */
export class LoggedChange {
  next: LoggedChange | undefined = undefined;
  /** The fold from this change to `foldEnd`, shared by the outboxes that start here. */
  private foldEnd: LoggedChange | undefined = undefined;
  private fold: SharedFold | undefined = undefined;

  constructor(
    readonly change: KeyChange,
    readonly log: TopicLog,
    /** Order among all changes of every log: folds of one key over two topics follow it. */
    readonly seq: number,
  ) {}

  /** What an outbox that starts here is owed now: this change alone, or the fold to the last. */
  owed(): KeyChange | SharedFold {
    const end = this.log.last;
    if (end === this || end === undefined) return this.change;
    if (this.foldEnd !== end || this.fold === undefined) {
      const pending = PendingKey.of(this.change);
      for (let c = this.next; c !== undefined; c = c.next) pending.add(c.change);
      this.fold = new SharedFold(pending);
      this.foldEnd = end;
    }
    return this.fold;
  }
}

/** A fold shared by many sockets: its JSON fragments encoded once. */
export class SharedFold {
  #joinsJson: string | undefined;
  #leavesJson: string | undefined;
  #keyJson: string | undefined;

  constructor(readonly pending: PendingKey) {}

  get key(): string {
    return this.pending.key;
  }

  get joins(): ReadonlyMap<string, WireMeta> {
    return this.pending.joins;
  }

  get leaves(): ReadonlyMap<string, WireMeta> {
    return this.pending.leaves;
  }

  get keyJson(): string {
    this.#keyJson ??= this.pending.keyJson;
    return this.#keyJson;
  }

  get joinsJson(): string {
    this.#joinsJson ??= this.pending.joinsJson;
    return this.#joinsJson;
  }

  get leavesJson(): string {
    this.#leavesJson ??= this.pending.leavesJson;
    return this.#leavesJson;
  }
}

/** What an outbox is owed of one key: a change, a shared fold, or (own sockets) a fold of two topics. */
export type OwedEntry = KeyChange | SharedFold | PendingKey;

/** The {@link OwedKey} of an entry (for owedDifference). */
export function owedKeyOf(entry: OwedEntry): OwedKey {
  return entry instanceof SharedFold ? entry.pending : entry;
}

/**
 * Several topics' runs of one key folded together in the order they were made (a user's own
 * sockets watch both `user:<id>` and `self:<id>`): for one socket, rare.
 */
export function foldRuns(starts: readonly LoggedChange[]): PendingKey {
  const cursors: (LoggedChange | undefined)[] = [...starts];
  let pending: PendingKey | undefined;
  for (;;) {
    let best = -1;
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i];
      if (c !== undefined && (best < 0 || c.seq < cursors[best]!.seq)) best = i;
    }
    if (best < 0) break;
    const c = cursors[best]!;
    cursors[best] = c.next;
    if (pending === undefined) pending = PendingKey.of(c.change);
    else pending.add(c.change);
  }
  return pending ?? new PendingKey(starts[0]?.change.key ?? '');
}

/** Every live log, by topic and key. */
export class TopicLogs {
  private readonly logs = new Map<string, TopicLog>();
  private seq = 0;

  /** Appends `change` (of `topic`) to its log. */
  append(topic: string, change: KeyChange): LoggedChange {
    const id = logId(topic, change.key);
    let log = this.logs.get(id);
    if (log === undefined) {
      log = new TopicLog(topic, change.key, id);
      this.logs.set(id, log);
    }
    const logged = new LoggedChange(change, log, this.seq++);
    if (log.last !== undefined) log.last.next = logged;
    log.last = logged;
    return logged;
  }

  /** The live log of `topic`'s `key`, if any outbox may point into it. */
  get(topic: string, key: string): TopicLog | undefined {
    return this.logs.get(logId(topic, key));
  }

  /** An outbox points into `log` now. */
  hold(log: TopicLog): void {
    log.holders++;
  }

  /** An outbox no longer points into `log`; a log nobody holds is forgotten. */
  release(log: TopicLog): void {
    log.holders--;
    this.forgetIfUnheld(log);
  }

  /** Forgets `log` when no outbox points into it (its next change starts a new log). */
  forgetIfUnheld(log: TopicLog): void {
    if (log.holders <= 0 && this.logs.get(log.id) === log) this.logs.delete(log.id);
  }

  /** Live logs (for tests and stats). */
  get size(): number {
    return this.logs.size;
  }

  clear(): void {
    this.logs.clear();
  }
}

function logId(topic: string, key: string): string {
  return `${topic}\n${key}`;
}
