/**
 * Holds one connection in LISTEN on the friendships channel. When that connection dies it
 * reconnects with backoff and then reports a gap (`onGap`), because notifications sent while
 * nobody listened are lost for good.
 */
import type { Notification, Pool, PoolClient } from 'pg';

export interface NotificationListenerHandlers {
  onNotification(payload: string): void;
  onGap(): void;
  onError(error: unknown): void;
}

const MAX_BACKOFF_MS = 5_000;

export class NotificationListener {
  readonly #pool: Pool;
  readonly #channel: string;
  readonly #handlers: NotificationListenerHandlers;
  #client: PoolClient | undefined;
  /** Removes our handlers: a released client goes back to the pool and serves others. */
  #detach: () => void = () => {};
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(pool: Pool, channel: string, handlers: NotificationListenerHandlers) {
    this.#pool = pool;
    this.#channel = channel;
    this.#handlers = handlers;
  }

  /** Resolves once LISTEN is active; rejects if the first attempt fails. */
  async start(): Promise<void> {
    await this.#listen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    this.#detach();
    await client.query(`UNLISTEN ${quoteIdentifier(this.#channel)}`).catch(() => {});
    client.release();
  }

  async #listen(): Promise<void> {
    const client = await this.#pool.connect();
    const onNotification = (message: Notification) => {
      if (message.channel === this.#channel) this.#handlers.onNotification(message.payload ?? '');
    };
    const detach = () => {
      client.off('notification', onNotification);
      client.off('error', onLost);
      client.off('end', onLost);
    };
    const onLost = (error?: unknown) => {
      detach();
      if (this.#client !== client) return;
      this.#client = undefined;
      client.release(error instanceof Error ? error : true);
      if (error) this.#handlers.onError(error);
      this.#retry(250);
    };
    client.on('notification', onNotification);
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.query(`LISTEN ${quoteIdentifier(this.#channel)}`);
    } catch (error) {
      detach();
      client.release(true);
      throw error;
    }
    if (this.#closed) {
      detach();
      client.release(true);
      return;
    }
    this.#client = client;
    this.#detach = detach;
  }

  #retry(delayMs: number): void {
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#listen().then(
        () => {
          if (!this.#closed) this.#handlers.onGap();
        },
        (error) => {
          this.#handlers.onError(error);
          this.#retry(Math.min(delayMs * 2, MAX_BACKOFF_MS));
        },
      );
    }, delayMs);
    this.#retryTimer.unref();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
