/**
 * The bus channel port: how nodes exchange opaque frames (bytes) of one kind: the tracker's
 * replication, `deliver`, the graph change relay (src/ports/node-bus.ts gives each kind its
 * channel). What a frame means is its user's business (the tracker's codec is src/protocol); a
 * channel only moves bytes between nodes.
 *
 * Delivery is best effort, like Redis pub/sub: at most once, in order per sender → receiver
 * pair, never to a receiver whose link is down. Frames sent while the sender's link is down are
 * dropped and counted, never queued and never thrown: the tracker recovers anything lost by
 * transfer once the link returns, and a stale frame replayed later would only cost work.
 */

/** Counters a transport keeps since it was created; for metrics and tests. */
export interface TransportStats {
  /** Frames handed to the network (broadcast and direct). */
  readonly framesSent: number;
  /** Frames delivered to this transport's frame handlers. */
  readonly framesReceived: number;
  /** Frames this transport dropped because its link was down when they were sent or arrived. */
  readonly framesDroppedLinkDown: number;
  /** Frames that arrived without a valid transport envelope and were dropped. */
  readonly framesDroppedMalformed: number;
  /** Exceptions thrown by frame or link handlers; logged and swallowed. */
  readonly handlerErrors: number;
}

/**
 * Receives one frame and the name of the node that sent it (authenticated when the node bus has a
 * cluster secret; as claimed by the frame's envelope otherwise).
 */
export type FrameHandler = (frame: Uint8Array, sender: string) => void;
export type LinkChangeHandler = (up: boolean) => void;

export interface BusChannel {
  /** The address this replica receives direct frames on: the replica's node name. */
  readonly selfId: string;

  /**
   * Sends a frame to every other replica on the network, never back to this one.
   * Never throws while open, even with the link down (the frame is then dropped and counted).
   * @throws TransportError `PRESENCE_TRANSPORT_CLOSED` after close().
   */
  broadcast(frame: Uint8Array): void;

  /**
   * Sends a frame to one replica by id (to this one too, if `replicaId === selfId`). An unknown
   * or absent replica simply never receives it. Same failure rules as broadcast().
   * @throws TransportError `PRESENCE_TRANSPORT_CLOSED` after close().
   */
  sendTo(replicaId: string, frame: Uint8Array): void;

  /**
   * Registers a handler for every frame addressed to this replica (broadcast or direct).
   * Handlers run asynchronously to the sender; the frame is only valid to read during the call
   * (copy it to keep it). Returns an idempotent unsubscribe function.
   */
  onFrame(handler: FrameHandler): () => void;

  /**
   * Registers a handler called on every transition of this replica's link: `false` when frames
   * can no longer flow, `true` when they can again. Not called with the current state on
   * registration: read isLinkUp() for that. Returns an idempotent unsubscribe function.
   */
  onLinkChange(handler: LinkChangeHandler): () => void;

  /** Whether frames can flow right now. Always false after close(). */
  isLinkUp(): boolean;

  /** A snapshot of this transport's counters. */
  stats(): TransportStats;

  /**
   * Stops delivery and event handlers at once and releases what the transport owns (never
   * injected clients). Frames already sent are flushed when the adapter can. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The tracker's replication channel: a BusChannel (the bus's `tracker` channel, or an in-memory
 * one), named for what the replica does with it.
 */
export type ReplicationTransport = BusChannel;
