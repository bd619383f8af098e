/**
 * The node bus over Redis pub/sub (ioredis 5): one publisher and one subscriber connection per
 * node, whatever the channels. Redis is only a message bus here, never a store: if it restarts
 * nothing is lost, replicas re-sync by transfer once the link is back.
 *
 * Redis channels: `<prefix>:bcast` (every node) and `<prefix>:to:<node>` (one node); the bus's
 * channel kind travels in the envelope (bus-envelope.ts). One publisher connection keeps a
 * sender's frames in order on both, which the receivers' replay check relies on. Without a
 * prefix given, a node publishes under the prefix of its signing key and listens under the
 * prefixes of every key it accepts (redis-channels.ts), so a rotation never splits the cluster.
 *
 * The link is up only while the publisher is ready and the subscriber is ready *and* has
 * confirmed our subscriptions on its current connection.
 */

import type { Redis, RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { NodeBus } from '../ports/node-bus.js';
import type { BusWire } from './bus-wire.js';
import {
  type ClusterSecretOptions,
  type ResolvedSecrets,
  resolveClusterSecrets,
} from './cluster-secret.js';
import { createNodeBusOverWire } from './node-bus-core.js';
import { broadcastChannel, defaultChannelPrefix, directChannel } from './redis-channels.js';
import {
  type ClientPair,
  closeOwnedClient,
  createOwnedClients,
  toConnectionLabel,
} from './redis-clients.js';
import { assertValidReplicaId } from './replica-id.js';

interface RedisNodeBusCommonOptions extends ClusterSecretOptions {
  /** This node's name: its direct channel is `<prefix>:to:<selfId>`. */
  selfId: string;
  /**
   * Namespace of the cluster's Redis channels.
   * @default 'graph-presence' without a cluster secret; with one, derived from it (redis-channels.ts)
   */
  channelPrefix?: string;
  /** How far a frame's send time may be from this node's clock (frame-freshness.ts). @default 60000 */
  replayWindowMs?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/** The bus opens, owns and closes two connections to `url`. */
export interface RedisNodeBusUrlOptions extends RedisNodeBusCommonOptions {
  url: string;
  /** Extra ioredis options for the owned connections (retry strategy, TLS, ...). */
  redisOptions?: RedisOptions;
}

/**
 * The caller's two distinct connections; the bus never closes them. The subscriber may carry
 * other subscriptions: only ours are touched (one bus per subscriber and prefix). The bus never
 * publishes while the link is down; `autoResendUnfulfilledCommands: false` on
 * the publisher also keeps a frame caught in a dropped connection from arriving late.
 */
export interface RedisNodeBusClientOptions extends RedisNodeBusCommonOptions {
  publisher: Redis;
  subscriber: Redis;
}

export type RedisNodeBusOptions = RedisNodeBusUrlOptions | RedisNodeBusClientOptions;

export function createRedisNodeBus(options: RedisNodeBusOptions): NodeBus {
  const where = 'createRedisNodeBus';
  assertValidReplicaId(options.selfId, where);
  const secrets = resolveClusterSecrets(options, where);
  if (options.channelPrefix === '') {
    throw new InvalidOptionError(`${where}: channelPrefix must not be empty.`);
  }
  const replayWindowMs = options.replayWindowMs;
  if (
    replayWindowMs !== undefined &&
    !(Number.isSafeInteger(replayWindowMs) && replayWindowMs > 0)
  ) {
    throw new InvalidOptionError(`${where}: replayWindowMs must be a positive integer (ms).`);
  }
  const prefixes = channelPrefixes(options.channelPrefix, secrets);
  const logger = options.logger ?? silentLogger;
  let wire: RedisWire;
  if ('url' in options) {
    const label = toConnectionLabel(prefixes.publish, options.selfId);
    const clients = createOwnedClients(options.url, options.redisOptions ?? {}, label);
    wire = new RedisWire(options.selfId, prefixes, clients, true, logger);
  } else {
    if (options.publisher === options.subscriber) {
      throw new InvalidOptionError(
        `${where}: publisher and subscriber must be two connections (a subscribed connection cannot publish); pass redis.duplicate() as the subscriber.`,
      );
    }
    const clients = { publisher: options.publisher, subscriber: options.subscriber };
    wire = new RedisWire(options.selfId, prefixes, clients, false, logger);
  }
  return createNodeBusOverWire({ selfId: options.selfId, wire, secrets, logger, replayWindowMs });
}

interface ChannelPrefixes {
  /** Where this node's frames go. */
  readonly publish: string;
  /** Where it listens: one prefix, or during a rotation those of every accepted key. */
  readonly subscribe: readonly string[];
}

function channelPrefixes(given: string | undefined, secrets: ResolvedSecrets): ChannelPrefixes {
  if (given !== undefined) return { publish: given, subscribe: [given] };
  const publish = defaultChannelPrefix(secrets.signing);
  const subscribe = new Set([publish, ...secrets.accepted.map(defaultChannelPrefix)]);
  return { publish, subscribe: [...subscribe] };
}

/** The listener type EventEmitter.off() takes; our listeners are typed where they are written. */
type RedisListener = Parameters<Redis['off']>[1];

class RedisWire implements BusWire {
  private readonly broadcastChannel: string;
  /** Every channel this node listens on: the broadcast and direct one of each prefix. */
  private readonly channels: readonly string[];
  private readonly attached: Array<{ client: Redis; event: string; listener: RedisListener }> = [];
  private receiveEnvelope: (envelope: Uint8Array) => void = () => {};
  private linkListener: (up: boolean) => void = () => {};
  private linkUp = false;
  private subscribed = false;
  /** Bumped when the subscriber's connection drops, so a late SUBSCRIBE reply cannot count. */
  private subscriberEpoch = 0;
  private lastErrorCode: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly selfId: string,
    private readonly prefixes: ChannelPrefixes,
    private readonly clients: ClientPair,
    private readonly ownsClients: boolean,
    private readonly logger: Logger,
  ) {
    this.broadcastChannel = broadcastChannel(prefixes.publish);
    this.channels = prefixes.subscribe.flatMap((prefix) => [
      broadcastChannel(prefix),
      directChannel(prefix, selfId),
    ]);
    this.wireEvents();
  }

  publish(target: string | undefined, envelope: Uint8Array, lost: () => void): void {
    if (this.closing || !this.linkUp || this.clients.publisher.status !== 'ready') {
      lost();
      return;
    }
    const channel =
      target === undefined ? this.broadcastChannel : directChannel(this.prefixes.publish, target);
    this.clients.publisher
      .publish(channel, Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength))
      .catch((err: Error) => {
        // The connection died under the frame: it is lost like any frame sent while down.
        lost();
        this.logClientError('publisher', err);
      });
  }

  onEnvelope(receive: (envelope: Uint8Array) => void): void {
    this.receiveEnvelope = receive;
  }

  onLinkChange(listener: (up: boolean) => void): void {
    this.linkListener = listener;
  }

  isLinkUp(): boolean {
    return this.linkUp;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }
  private wireEvents(): void {
    const { publisher, subscriber } = this.clients;
    const refresh = () => this.refreshLink();
    this.listen(publisher, 'error', (err: Error) => this.logClientError('publisher', err));
    this.listen(subscriber, 'error', (err: Error) => this.logClientError('subscriber', err));
    for (const client of [publisher, subscriber]) {
      for (const event of ['ready', 'close', 'end', 'reconnecting'])
        this.listen(client, event, refresh);
    }
    this.listen(subscriber, 'ready', () => this.subscribe());
    this.listen(subscriber, 'close', () => this.forgetSubscription());
    this.listen(subscriber, 'messageBuffer', (channel: Buffer, message: Buffer) =>
      this.receive(channel, message),
    );
    if (subscriber.status === 'ready') this.subscribe();
    // Injected lazyConnect clients wait for a first command we would never send. A failed
    // connect is reported through the 'error' listener above.
    for (const client of [publisher, subscriber]) {
      if (client.status === 'wait') client.connect().catch(() => {});
    }
  }

  private listen(client: Redis, event: string, listener: RedisListener): void {
    client.on(event, listener);
    this.attached.push({ client, event, listener });
  }

  /**
   * (Re)subscribes on every subscriber 'ready'. ioredis resubscribes by itself after a reconnect,
   * but only our own confirmed SUBSCRIBE, sent after its own, proves the channels are live.
   */
  private subscribe(): void {
    const epoch = this.subscriberEpoch;
    this.clients.subscriber.subscribe(...this.channels).then(
      () => {
        if (this.closing || epoch !== this.subscriberEpoch) return;
        this.subscribed = true;
        this.refreshLink();
      },
      (err: Error) => this.logClientError('subscriber', err),
    );
  }

  private forgetSubscription(): void {
    this.subscriberEpoch += 1;
    this.subscribed = false;
    this.refreshLink();
  }

  private refreshLink(): void {
    const up =
      !this.closing &&
      this.subscribed &&
      this.clients.publisher.status === 'ready' &&
      this.clients.subscriber.status === 'ready';
    if (up === this.linkUp) return;
    this.linkUp = up;
    if (up) this.lastErrorCode = undefined;
    this.logger.info(
      { selfId: this.selfId, linkUp: up },
      `node bus: Redis link ${up ? 'up' : 'down'}`,
    );
    this.linkListener(up);
  }

  private receive(channelBytes: Buffer, message: Buffer): void {
    if (this.closing) return;
    const channel = channelBytes.toString('utf8');
    // An injected subscriber may carry the caller's own channels too.
    if (!this.channels.includes(channel)) return;
    this.receiveEnvelope(message);
  }

  /** Errors repeat on every reconnect attempt during an outage: warn once per kind, then debug. */
  private logClientError(connection: 'publisher' | 'subscriber', err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    const level = code === this.lastErrorCode ? 'debug' : 'warn';
    this.lastErrorCode = code;
    this.logger[level]({ err, selfId: this.selfId, connection }, 'node bus: Redis error');
  }

  private async shutdown(): Promise<void> {
    this.linkUp = false;
    const { publisher, subscriber } = this.clients;
    if (this.ownsClients) {
      this.detachListeners((entry) => entry.event !== 'error');
      await Promise.all([closeOwnedClient(publisher), closeOwnedClient(subscriber)]);
      return;
    }
    this.detachListeners(() => true);
    // Not awaited: on a broken connection the reply could wait for a reconnect that never comes.
    subscriber.unsubscribe(...this.channels).catch(() => {});
  }

  private detachListeners(shouldDetach: (entry: { event: string }) => boolean): void {
    for (const entry of this.attached) {
      // Owned clients keep their error listeners: quitting may still emit, and nobody else listens.
      if (shouldDetach(entry)) entry.client.off(entry.event, entry.listener);
    }
  }
}
