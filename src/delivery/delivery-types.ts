/** The public shapes of `deliver`: its options, its result and what the fallback hook gets. */

/**
 * When a delivery counts as delivered: at the first client ack (`'first'`), or once every
 * connection it reached has acked or timed out (`'all'`; at least one ack is still required).
 */
export type AckMode = 'first' | 'all';

/** Options of one `deliver` call. */
export interface DeliverOptions {
  /** @default 'first' */
  readonly ack?: AckMode;
  /**
   * How long to wait for client acks in total (the presence-routed attempt gets the first half,
   * then every node is tried), before the fallback hook. @default the server's (5000 ms)
   */
  readonly timeoutMs?: number;
}

/** Why a message was not delivered. */
export type UndeliveredReason =
  /** No connection of the user acked within the timeout. */
  | 'timeout'
  /** The server closed before an ack came (or `deliver` was called after close). */
  | 'closed';

export type DeliveryResult =
  | {
      readonly delivered: true;
      readonly id: string;
      /** Connections that acked: 1 or more with `ack: 'first'`, every acking one with `'all'`. */
      readonly connections: number;
    }
  | {
      readonly delivered: false;
      readonly id: string;
      readonly reason: UndeliveredReason;
      /** True when the fallback hook took the message; false without a hook or when it failed. */
      readonly fallback: boolean;
      /** The hook's error message, when it threw or rejected. */
      readonly fallbackError?: string;
    };

/** What the fallback hook receives: enough to send a push notification instead. */
export interface UndeliveredMessage {
  readonly id: string;
  readonly userId: string;
  readonly event: string;
  readonly payload: unknown;
  readonly reason: UndeliveredReason;
}

/**
 * The app's fallback for a message no connection acked (e.g. a push notification). `deliver`
 * resolves once it settles; a throw or rejection is logged and reported as `fallback: false`.
 */
export type OnUndelivered = (message: UndeliveredMessage) => void | Promise<void>;

/** Server-wide delivery options (`createPresenceServer({ delivery })`). */
export interface DeliveryServerOptions {
  /** The fallback hook. Without one, undelivered messages resolve `fallback: false`. */
  readonly onUndelivered?: OnUndelivered;
  /** Default `timeoutMs` of a `deliver` call. @default 5000 */
  readonly timeoutMs?: number;
}
