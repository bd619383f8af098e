/**
 * The listener set behind every adapter's `subscribe`: delivers changes in order, isolates a
 * throwing listener (reported, never rethrown) and goes silent for good on `close()`.
 */
import { GraphProviderError, PresenceError } from '../../src/errors.js';
import type {
  FriendsGraphChange,
  FriendsGraphErrorListener,
  FriendsGraphListener,
} from '../../src/ports/friends-graph.js';

export class ChangeFeed {
  readonly #listeners = new Set<FriendsGraphListener>();
  readonly #onError: FriendsGraphErrorListener;
  #closed = false;

  constructor(onError: FriendsGraphErrorListener) {
    this.#onError = onError;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  subscribe(listener: FriendsGraphListener): () => void {
    if (this.#closed) throw closedError('subscribe');
    // Wrap so the same function subscribed twice is two subscriptions, each removable once.
    const entry: FriendsGraphListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(change: FriendsGraphChange): void {
    if (this.#closed) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        // A bug in a listener, not in the graph: report it and carry on with the others.
        this.#onError(
          new PresenceError(
            'PRESENCE_USAGE',
            `friends-graph listener threw while handling a ${change.kind} change`,
            { cause: error },
          ),
        );
      }
    }
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
  }
}

/** The error every adapter method raises after `close()`. */
export function closedError(method: string): GraphProviderError {
  return new GraphProviderError(
    'PRESENCE_GRAPH_CLOSED',
    `friends graph: ${method}() was called after close(); open a new adapter instead`,
  );
}

/** Default error sink: a warning on stderr, so a feed problem is visible but never fatal. */
export function warnOnStderr(error: Error): void {
  process.emitWarning(error.message, { type: error.name, code: errorCode(error) });
}

function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
