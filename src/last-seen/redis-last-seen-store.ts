/**
 * Last seen in Redis: one hash per user, `<prefix><user id>` with fields `at` (decimal ms) and
 * `visibility`, and with a cluster secret `at_mac` and `visibility_mac` (last-seen-seal.ts).
 * `record` is a Lua script, so "keep the larger" is atomic; `get` is one pipeline of HMGETs. A
 * connection the store owns fails fast: no offline queue and a command timeout, so an outage
 * rejects within `timeoutMs` instead of hanging, and the client reconnects by itself.
 */
import type { Redis } from 'ioredis';
import { positiveOption } from '../domain/positive-option.js';
import type { UserId } from '../domain/user-id.js';
import { InvalidOptionError, LastSeenStoreError } from '../errors.js';
import type {
  LastSeenRecord,
  LastSeenStore,
  LastSeenVisibility,
} from '../ports/last-seen-store.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { ClusterSecretOptions } from '../transports/cluster-secret.js';
import { createRedisClient } from '../transports/redis-url.js';
import { LastSeenClock, type LastSeenClockOptions } from './last-seen-clock.js';
import {
  closedStoreError,
  DEFAULT_LAST_SEEN_TIMEOUT_MS,
  withLastSeenDeadline,
} from './last-seen-deadline.js';
import {
  assertLastSeenAt,
  assertLastSeenUser,
  assertLastSeenVisibility,
  checkLastSeenBatch,
} from './last-seen-input.js';
import { LastSeenSeal } from './last-seen-seal.js';
import { StoredRecordReader } from './stored-values.js';

const NAME = 'RedisLastSeenStore';

export const DEFAULT_LAST_SEEN_KEY_PREFIX = 'graph-presence:last-seen:';

/**
 * Keeps the larger value: ARGV[1] the time, ARGV[2] its MAC ('' without a cluster secret),
 * ARGV[3] the ceiling (now plus the clock skew). A stored value `get` would skip (not a decimal
 * safe integer: `-5`, `1e20`, garbage) counts as none, so the next record repairs it; so does a
 * stored time beyond the ceiling, and with a secret one without a MAC. Redis cannot check a MAC
 * (the key never leaves the node), so a forged time within the ceiling can win the comparison:
 * it then reads as not stored (its MAC fails), and a later record replaces it once the clock
 * passes it, at most the clock skew later. That is no more than deleting the key would do.
 */
const RECORD_SCRIPT = `
local raw = redis.call('HGET', KEYS[1], 'at')
local stored = nil
if raw and #raw <= 16 and string.match(raw, '^%d+$') then
  stored = tonumber(raw)
  if stored > tonumber(ARGV[3]) then stored = nil end
end
if stored ~= nil and ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[1], 'at_mac') == 0 then
  stored = nil
end
if stored == nil or stored < tonumber(ARGV[1]) then
  if ARGV[2] == '' then
    redis.call('HSET', KEYS[1], 'at', ARGV[1])
    redis.call('HDEL', KEYS[1], 'at_mac')
  else
    redis.call('HSET', KEYS[1], 'at', ARGV[1], 'at_mac', ARGV[2])
  end
end
return 0`;

export interface RedisLastSeenStoreOptions extends ClusterSecretOptions, LastSeenClockOptions {
  /** A client to use; never closed by the store. Give it fail-fast options of your own. */
  readonly client?: Redis;
  /**
   * Used when no `client` is given, e.g. `redis://127.0.0.1:6379/0`, `rediss://…` or
   * `redis-sentinel://host:26379,host2:26379/mymaster` (src/transports/redis-url.ts).
   */
  readonly url?: string;
  /** Namespace of the keys. @default 'graph-presence:last-seen:' */
  readonly keyPrefix?: string;
  /** Longest wait for one call (connecting included), in milliseconds. @default 2000 */
  readonly timeoutMs?: number;
  /** Where skipped bad values are reported. @default silent */
  readonly logger?: Logger;
}

export class RedisLastSeenStore implements LastSeenStore {
  readonly keyPrefix: string;
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  readonly #timeoutMs: number;
  readonly #seal: LastSeenSeal | undefined;
  readonly #clock: LastSeenClock;
  readonly #reader: StoredRecordReader;
  #scriptSha: string | undefined;
  /** The owned connection's last error: why ioredis's bare "Connection is closed" happened. */
  #connectionProblem: string | undefined;
  #closed = false;

  private constructor(options: RedisLastSeenStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_LAST_SEEN_KEY_PREFIX;
    if (typeof this.keyPrefix !== 'string') {
      throw new InvalidOptionError(`${NAME}: keyPrefix must be a string`);
    }
    this.#timeoutMs = positiveOption(
      `${NAME}: timeoutMs`,
      options.timeoutMs ?? DEFAULT_LAST_SEEN_TIMEOUT_MS,
    );
    this.#seal = LastSeenSeal.from(options, NAME);
    this.#clock = new LastSeenClock(options, NAME);
    this.#reader = new StoredRecordReader(
      this.#seal,
      this.#clock,
      options.logger ?? silentLogger,
      NAME,
    );
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? this.#createClient(options.url);
  }

  /** Connects (an owned client) and checks that Redis answers PING before returning. */
  static async connect(options: RedisLastSeenStoreOptions): Promise<RedisLastSeenStore> {
    const store = new RedisLastSeenStore(options);
    try {
      if (store.#ownsClient) await store.#call('connect', store.#client.connect());
      await store.#call('PING', store.#client.ping());
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async record(user: UserId, at: number): Promise<void> {
    this.#checkOpen('record');
    assertLastSeenUser(user, `${NAME}.record`);
    assertLastSeenAt(at, `${NAME}.record`);
    const ceiling = this.#clock.ceiling();
    const value = String(Math.min(at, ceiling));
    const mac = this.#seal?.sign(user, 'at', value) ?? '';
    await this.#call(
      'record',
      this.#runRecordScript(this.#key(user), [value, mac, String(ceiling)]),
    );
  }

  /** Stored values refused for a missing or wrong MAC (with a cluster secret), since start. */
  get refusedValues(): number {
    return this.#reader.refused;
  }

  async setVisibility(user: UserId, visibility: LastSeenVisibility): Promise<void> {
    this.#checkOpen('setVisibility');
    assertLastSeenUser(user, `${NAME}.setVisibility`);
    assertLastSeenVisibility(visibility, `${NAME}.setVisibility`);
    const key = this.#key(user);
    // Without a secret, a MAC left from a time with one would no longer match: it goes.
    const write =
      this.#seal === undefined
        ? this.#client.multi().hset(key, 'visibility', visibility).hdel(key, 'visibility_mac')
        : this.#client
            .multi()
            .hset(
              key,
              'visibility',
              visibility,
              'visibility_mac',
              this.#seal.sign(user, 'visibility', visibility),
            );
    const replies = await this.#call('setVisibility', write.exec());
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (failed) throw this.#storeError('setVisibility', failed);
  }

  async get(users: readonly UserId[]): Promise<ReadonlyMap<UserId, LastSeenRecord>> {
    this.#checkOpen('get');
    const unique = checkLastSeenBatch(users, `${NAME}.get`);
    const found = new Map<UserId, LastSeenRecord>();
    if (unique.length === 0) return found;
    const pipeline = this.#client.pipeline();
    for (const user of unique) {
      pipeline.hmget(this.#key(user), 'at', 'at_mac', 'visibility', 'visibility_mac');
    }
    const replies = (await this.#call('get', pipeline.exec())) ?? [];
    unique.forEach((user, index) => {
      const [error, fields] = replies[index] ?? [new Error('no reply'), null];
      if (error) {
        // WRONGTYPE: something else lives at this key; it is not a last seen. Anything else
        // (a dropped connection) is the store failing, not the data.
        if (!error.message.startsWith('WRONGTYPE')) throw this.#storeError('get', error);
        this.#reader.skipped(user, error.message);
        return;
      }
      const [at, atMac, visibility, visibilityMac] = (fields as (string | null)[] | null) ?? [];
      const record = this.#reader.read(user, {
        at: at ?? null,
        atMac: atMac ?? null,
        visibility: visibility ?? null,
        visibilityMac: visibilityMac ?? null,
      });
      if (record !== undefined) found.set(user, record);
    });
    return found;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    if (this.#client.status === 'ready') {
      await withLastSeenDeadline(this.#client.quit(), this.#timeoutMs, 'Redis QUIT').catch(() =>
        this.#client.disconnect(),
      );
    } else {
      this.#client.disconnect();
    }
  }

  #createClient(url: string | undefined): Redis {
    if (typeof url !== 'string' || url === '') {
      throw new InvalidOptionError(
        `${NAME}: give a client or a url such as redis://127.0.0.1:6379`,
      );
    }
    const client = createRedisClient(url, {
      lazyConnect: true,
      connectTimeout: this.#timeoutMs,
      commandTimeout: this.#timeoutMs,
      // While disconnected, reject at once instead of queueing: callers degrade to "unknown".
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectionName: 'graph-presence:last-seen',
    });
    // Connection errors surface on the calls; without a listener ioredis would log each one.
    client.on('error', (error: Error) => {
      this.#connectionProblem = error.message;
    });
    client.on('ready', () => {
      this.#connectionProblem = undefined;
    });
    return client;
  }

  async #runRecordScript(key: string, args: readonly string[]): Promise<void> {
    if (this.#scriptSha !== undefined) {
      try {
        await this.#client.evalsha(this.#scriptSha, 1, key, ...args);
        return;
      } catch (error) {
        // After a restart or SCRIPT FLUSH the script is gone; load it again below.
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      }
    }
    this.#scriptSha = (await this.#client.script('LOAD', RECORD_SCRIPT)) as string;
    await this.#client.evalsha(this.#scriptSha, 1, key, ...args);
  }

  #key(user: UserId): string {
    return `${this.keyPrefix}${user}`;
  }

  async #call<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await withLastSeenDeadline(work, this.#timeoutMs, `${NAME}: Redis ${what}`);
    } catch (error) {
      throw this.#storeError(what, error);
    }
  }

  #storeError(what: string, error: unknown): LastSeenStoreError {
    if (error instanceof LastSeenStoreError) return error;
    let message = (error as Error)?.message ?? String(error);
    if (this.#connectionProblem !== undefined && !message.includes(this.#connectionProblem)) {
      message = `${message} (${this.#connectionProblem})`;
    }
    const code = /timed? ?out/i.test(message)
      ? 'PRESENCE_LAST_SEEN_TIMEOUT'
      : 'PRESENCE_LAST_SEEN_UNAVAILABLE';
    return new LastSeenStoreError(code, `${NAME}: Redis ${what} failed: ${message}`, {
      cause: error,
    });
  }

  #checkOpen(method: string): void {
    if (this.#closed) throw closedStoreError(NAME, method);
  }
}
