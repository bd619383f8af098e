/**
 * Replication over Redis pub/sub (ioredis 5). Redis is only a message bus here, never a store:
 * if it restarts nothing is lost, replicas re-sync by transfer once the link is back.
 *
 * Channels: `<prefix>:bcast` (every replica) and `<prefix>:to:<id>` (one replica). Every frame is
 * wrapped in a small envelope naming its sender (frame-envelope.ts), because Redis echoes a
 * broadcast to its publisher and the transport must drop its own.
 *
 * The link is up only while the publisher is ready and the subscriber is ready *and* has
 * confirmed our subscriptions on its current connection.
 */

import type { Redis, RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type {
  FrameHandler,
  LinkChangeHandler,
  ReplicationTransport,
  TransportStats,
} from '../ports/replication-transport.js';
import { decodeEnvelope, encodeEnvelope, encodeEnvelopeHeader } from './frame-envelope.js';
import { HandlerRegistry } from './handler-registry.js';
import { broadcastChannel, DEFAULT_CHANNEL_PREFIX, directChannel } from './redis-channels.js';
import {
  type ClientPair,
  closeOwnedClient,
  createOwnedClients,
  toConnectionLabel,
} from './redis-clients.js';
import { assertValidReplicaId } from './replica-id.js';
import { transportClosedError } from './transport-closed-error.js';
import { TransportCounters } from './transport-counters.js';

interface RedisTransportCommonOptions {
  /** This replica's id (node name): its direct channel is `<prefix>:to:<selfId>`. */
  selfId: string;
  /** Namespace of the replication network's channels. @default 'graph-presence' */
  channelPrefix?: string;
  /** @default silentLogger */
  logger?: Logger;
}

/** The transport opens, owns and closes two connections to `url`. */
export interface RedisTransportUrlOptions extends RedisTransportCommonOptions {
  url: string;
  /** Extra ioredis options for the owned connections (retry strategy, TLS, ...). */
  redisOptions?: RedisOptions;
}

/**
 * The caller's two distinct connections; the transport never closes them. The subscriber may
 * carry other subscriptions: only ours are touched (one transport per subscriber and prefix).
 * The transport never publishes while the link is down; `autoResendUnfulfilledCommands: false` on
 * the publisher also keeps a frame caught in a dropped connection from arriving late.
 */
export interface RedisTransportClientOptions extends RedisTransportCommonOptions {
  publisher: Redis;
  subscriber: Redis;
}

export type RedisTransportOptions = RedisTransportUrlOptions | RedisTransportClientOptions;

export function createRedisTransport(options: RedisTransportOptions): ReplicationTransport {
  assertValidReplicaId(options.selfId, 'createRedisTransport');
  const prefix = options.channelPrefix ?? DEFAULT_CHANNEL_PREFIX;
  if (prefix === '') {
    throw new InvalidOptionError('createRedisTransport: channelPrefix must not be empty.');
  }
  if ('url' in options) {
    const label = toConnectionLabel(prefix, options.selfId);
    const clients = createOwnedClients(options.url, options.redisOptions ?? {}, label);
    return new RedisTransport(options.selfId, prefix, clients, true, options.logger);
  }
  if (options.publisher === options.subscriber) {
    throw new InvalidOptionError(
      'createRedisTransport: publisher and subscriber must be two connections (a subscribed connection cannot publish); pass redis.duplicate() as the subscriber.',
    );
  }
  const clients = { publisher: options.publisher, subscriber: options.subscriber };
  return new RedisTransport(options.selfId, prefix, clients, false, options.logger);
}

/** The listener type EventEmitter.off() takes; our listeners are typed where they are written. */
type RedisListener = Parameters<Redis['off']>[1];

class RedisTransport implements ReplicationTransport {
  private readonly counters = new TransportCounters();
  private readonly frameHandlers: HandlerRegistry<Uint8Array>;
  private readonly linkHandlers: HandlerRegistry<boolean>;
  private readonly broadcastChannel: string;
  private readonly directChannel: string;
  private readonly envelopeHeader: Uint8Array;
  private readonly attached: Array<{ client: Redis; event: string; listener: RedisListener }> = [];
  private readonly logger: Logger;
  private linkUp = false;
  private subscribed = false;
  /** Bumped when the subscriber's connection drops, so a late SUBSCRIBE reply cannot count. */
  private subscriberEpoch = 0;
  private lastErrorCode: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly selfId: string,
    private readonly prefix: string,
    private readonly clients: ClientPair,
    private readonly ownsClients: boolean,
    logger: Logger = silentLogger,
  ) {
    this.logger = logger;
    const countError = () => {
      this.counters.handlerErrors += 1;
    };
    this.frameHandlers = new HandlerRegistry('frame', logger, countError);
    this.linkHandlers = new HandlerRegistry('link-change', logger, countError);
    this.broadcastChannel = broadcastChannel(prefix);
    this.directChannel = directChannel(prefix, selfId);
    this.envelopeHeader = encodeEnvelopeHeader(selfId);
    this.wireEvents();
  }

  broadcast(frame: Uint8Array): void {
    this.publish(this.broadcastChannel, frame, 'broadcast');
  }

  sendTo(replicaId: string, frame: Uint8Array): void {
    this.publish(directChannel(this.prefix, replicaId), frame, 'sendTo');
  }

  onFrame(handler: FrameHandler): () => void {
    return this.frameHandlers.add(handler);
  }

  onLinkChange(handler: LinkChangeHandler): () => void {
    return this.linkHandlers.add(handler);
  }

  isLinkUp(): boolean {
    return this.linkUp;
  }

  stats(): TransportStats {
    return this.counters.snapshot();
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
    this.clients.subscriber.subscribe(this.broadcastChannel, this.directChannel).then(
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
      `replication transport: link ${up ? 'up' : 'down'}`,
    );
    this.linkHandlers.dispatch(up);
  }

  private publish(channel: string, frame: Uint8Array, operation: string): void {
    if (this.closing) throw transportClosedError(this.selfId, operation);
    if (!this.linkUp || this.clients.publisher.status !== 'ready') {
      this.counters.framesDroppedLinkDown += 1;
      return;
    }
    this.counters.framesSent += 1;
    this.clients.publisher
      .publish(channel, encodeEnvelope(this.envelopeHeader, frame))
      .catch((err: Error) => {
        // The connection died under the frame: it is lost like any frame sent while down.
        this.counters.framesDroppedLinkDown += 1;
        this.logClientError('publisher', err);
      });
  }

  private receive(channelBytes: Buffer, message: Buffer): void {
    if (this.closing) return;
    const channel = channelBytes.toString('utf8');
    const isBroadcast = channel === this.broadcastChannel;
    // An injected subscriber may carry the caller's own channels too.
    if (!isBroadcast && channel !== this.directChannel) return;
    const envelope = decodeEnvelope(message);
    if (!envelope.ok) {
      this.counters.framesDroppedMalformed += 1;
      this.logger.warn(
        { selfId: this.selfId, channel, bytes: message.byteLength, reason: envelope.reason },
        'replication transport: dropped a frame without a valid envelope',
      );
      return;
    }
    if (isBroadcast && envelope.senderId === this.selfId) return;
    if (!this.linkUp) {
      this.counters.framesDroppedLinkDown += 1;
      return;
    }
    this.counters.framesReceived += 1;
    this.frameHandlers.dispatch(envelope.frame);
  }

  /** Errors repeat on every reconnect attempt during an outage: warn once per kind, then debug. */
  private logClientError(connection: 'publisher' | 'subscriber', err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    const level = code === this.lastErrorCode ? 'debug' : 'warn';
    this.lastErrorCode = code;
    this.logger[level](
      { err, selfId: this.selfId, connection },
      'replication transport: Redis error',
    );
  }

  private async shutdown(): Promise<void> {
    this.linkUp = false;
    this.frameHandlers.clear();
    this.linkHandlers.clear();
    const { publisher, subscriber } = this.clients;
    if (this.ownsClients) {
      this.detachListeners((entry) => entry.event !== 'error');
      await Promise.all([closeOwnedClient(publisher), closeOwnedClient(subscriber)]);
      return;
    }
    this.detachListeners(() => true);
    // Not awaited: on a broken connection the reply could wait for a reconnect that never comes.
    subscriber.unsubscribe(this.broadcastChannel, this.directChannel).catch(() => {});
  }

  private detachListeners(shouldDetach: (entry: { event: string }) => boolean): void {
    for (const entry of this.attached) {
      // Owned clients keep their error listeners: quitting may still emit, and nobody else listens.
      if (shouldDetach(entry)) entry.client.off(entry.event, entry.listener);
    }
  }
}
