/**
 * The gateway's side of the inbound packet budget (inbound-budget.ts): every engine connection
 * is watched once, from its first packet; one that goes over is told why on its `/presence`
 * socket (`presence_error` `too_many_packets`), what it still sends is dropped, and it is closed.
 */
import { TOO_MANY_PACKETS } from '../../domain/client-protocol.js';
import type { PresenceSocket } from '../../domain/presence-socket.js';
import type { Logger } from '../../ports/logger.js';
import { type InboundBudgetOptions, watchInboundBudget } from './inbound-budget.js';

/** An engine.io connection (one client, all its namespaces). */
export type EngineConnection = PresenceSocket['conn'];

export class PacketFloods {
  private readonly watched = new WeakSet<EngineConnection>();
  /** Over their budget: their events are dropped until they close. */
  private readonly flooding = new WeakSet<EngineConnection>();
  /** The `/presence` socket of a connection, to tell it why it is closed. */
  private readonly socketOf = new WeakMap<EngineConnection, PresenceSocket>();
  private closedCount = 0;

  constructor(
    private readonly budget: Required<InboundBudgetOptions>,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Connections closed for going over their budget, since start. */
  get closed(): number {
    return this.closedCount;
  }

  /** Counts `conn`'s inbound packets against its budget (once per connection). */
  watch(conn: EngineConnection): void {
    if (this.watched.has(conn)) return;
    this.watched.add(conn);
    watchInboundBudget(conn, this.budget, this.now, () => this.flooded(conn));
  }

  /** A `/presence` handshake: its connection is watched, and its socket is the one told. */
  watchSocket(socket: PresenceSocket): void {
    this.watch(socket.conn);
    this.socketOf.set(socket.conn, socket);
  }

  /** Lets a connected socket's events through only while its connection is within budget. */
  filter(socket: PresenceSocket): void {
    socket.use((_packet, next) => {
      if (!this.flooding.has(socket.conn)) next();
    });
  }

  private flooded(conn: EngineConnection): void {
    this.flooding.add(conn);
    this.closedCount++;
    const socket = this.socketOf.get(conn);
    this.logger.warn(
      {
        user: (socket?.data as { userId?: string } | undefined)?.userId,
        address: conn.remoteAddress,
      },
      'connection closed: over its inbound packet budget',
    );
    if (socket === undefined || !socket.connected) {
      conn.close();
      return;
    }
    const { perSecond, burst } = this.budget;
    socket.emit('presence_error', {
      code: TOO_MANY_PACKETS,
      message: `more than ${perSecond} packets per second (bursts of ${burst}) on this connection: disconnected; send less`,
    });
    socket.disconnect(true);
  }
}
