/**
 * The inbound packet budget of a connection: every socket.io packet a client sends (events of
 * any name, unknown ones included, acks, namespace connects, each attachment) takes a token from
 * one bucket per engine connection, refilled at `perSecond` up to `burst`. `presence:update` has a
 * stricter bucket of its own (token-bucket.ts); this one bounds everything else, so one client
 * cannot keep a node's event loop busy decoding and dispatching its flood while other users'
 * diffs wait. A connection over budget is told why (`presence_error` `too_many_packets`) and
 * closed.
 *
 * Counted on the engine's `packet` event, before socket.io decodes the packet: the cheapest point
 * that sees every packet of the connection, whatever namespace it names.
 */

import { positiveNumberOption, positiveOption } from '../../domain/positive-option.js';
import { InvalidOptionError } from '../../errors.js';
import { TokenBucket } from './token-bucket.js';

export interface InboundBudgetOptions {
  /** Packets per second a connection may send, sustained. @default 50 */
  readonly perSecond?: number;
  /** Packets it may send in a burst. @default 200 */
  readonly burst?: number;
}

/** Far above what the SDK sends (updates ≤ 10/s, room joins, message acks), far below a flood. */
export const DEFAULT_INBOUND_BUDGET = Object.freeze({ perSecond: 50, burst: 200 });

export function resolveInboundBudget(
  options: InboundBudgetOptions | undefined,
): Required<InboundBudgetOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidOptionError('inboundBudget must be an object { perSecond, burst }');
  }
  return {
    perSecond: positiveNumberOption(
      'inboundBudget.perSecond',
      options?.perSecond ?? DEFAULT_INBOUND_BUDGET.perSecond,
    ),
    burst: positiveOption('inboundBudget.burst', options?.burst ?? DEFAULT_INBOUND_BUDGET.burst),
  };
}

/** What the budget needs of an engine.io connection. */
export interface InboundConnection {
  on(event: 'packet', listener: (packet: { type: string }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'packet', listener: (packet: { type: string }) => void): unknown;
}

/**
 * Counts the `message` packets of `conn` (engine pings and upgrades are not the client's
 * traffic) and calls `exceeded` once, at the first packet over budget.
 */
export function watchInboundBudget(
  conn: InboundConnection,
  budget: Required<InboundBudgetOptions>,
  now: () => number,
  exceeded: () => void,
): void {
  const bucket = new TokenBucket(budget.perSecond, budget.burst, now());
  const onPacket = (packet: { type: string }) => {
    if (packet.type !== 'message' || bucket.take(now())) return;
    conn.off('packet', onPacket);
    exceeded();
  };
  conn.on('packet', onPacket);
  conn.on('close', () => conn.off('packet', onPacket));
}
