/**
 * What a node bus needs from the network under it: move opaque envelopes to every other node or
 * to one, and say whether the link is up. The Redis adapter (redis-node-bus.ts) and the
 * in-memory one (in-memory-bus.ts) provide it; envelopes, channels and MACs are the bus's.
 */
export interface BusWire {
  /**
   * Publishes an envelope to every node (`target` undefined; the wire may echo it back) or to
   * one. Calls `lost` when the envelope was dropped because the link failed under it.
   */
  publish(target: string | undefined, envelope: Uint8Array, lost: () => void): void;
  /** Registers the one receiver of every envelope arriving at this node. */
  onEnvelope(receive: (envelope: Uint8Array) => void): void;
  /** Registers the one listener of link transitions. */
  onLinkChange(listener: (up: boolean) => void): void;
  isLinkUp(): boolean;
  close(): Promise<void>;
}
