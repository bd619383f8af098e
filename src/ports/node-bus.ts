/**
 * The node bus port: one bus per node carries every kind of frame between nodes (the tracker's
 * replication, `deliver`, the graph change relay) over one link, as socket.io's cluster adapter
 * and Phoenix.PubSub do. Each kind is a typed channel: a BusChannel view whose frames
 * reach only that channel's handlers. The link state is the bus's: every channel is up or down
 * together.
 *
 * With a cluster secret, the bus authenticates every frame (HMAC-SHA256, docs/cluster-wire-format.md "Transport
 * framing") and drops frames without a valid MAC or replayed ones before any handler sees them.
 */
import type { BusChannel, LinkChangeHandler, TransportStats } from './bus-channel.js';

/** The kinds of frames a bus carries; each has its own channel and handlers. */
export const BUS_CHANNEL_KINDS = ['tracker', 'delivery', 'graph'] as const;
export type BusChannelKind = (typeof BUS_CHANNEL_KINDS)[number];

export interface NodeBusStats extends TransportStats {
  /** Frames dropped because their MAC was missing or wrong (a cluster secret is set). */
  readonly framesDroppedUnauthenticated: number;
  /** Frames dropped because their sequence number was not above the last seen from their sender. */
  readonly framesDroppedReplayed: number;
}

export interface NodeBus {
  /** This node's name: where direct frames reach it, and the sender name its frames carry. */
  readonly selfId: string;
  /**
   * The channel of one kind of frame. Always the same view for a kind; its close() detaches only
   * the view's handlers (the bus stays open for the other channels). Frame handlers receive the
   * sender's node name, authenticated when the bus has a cluster secret.
   */
  channel(kind: BusChannelKind): BusChannel;
  /** Called on every transition of the bus's one link. Returns an idempotent unsubscribe. */
  onLinkChange(handler: LinkChangeHandler): () => void;
  isLinkUp(): boolean;
  /** Whether frames are signed and checked with a cluster secret. */
  readonly authenticated: boolean;
  /** Counters of all channels together, plus the bus's own drops. */
  stats(): NodeBusStats;
  /** Closes every channel and what the bus owns (never injected clients). Idempotent. */
  close(): Promise<void>;
}
