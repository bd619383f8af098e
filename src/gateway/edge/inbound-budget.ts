/**
 * The inbound packet budget of a connection: every packet a client sends takes a token from one
 * bucket per engine connection, refilled at `perSecond` up to `burst`: each socket.io packet
 * (events of any name, unknown ones included, acks, namespace connects, each attachment), each
 * engine.io packet of its own (`pong`, `noop`, `upgrade`, ...) and, on WebSocket, each ping and
 * pong frame (the `ws` library answers a ping by itself, so a flood of them would cost the node
 * without ever reaching socket.io). `presence:update` has a
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
  /** The current transport; a WebSocket one holds the `ws` socket as `socket`. */
  readonly transport?: unknown;
  on(event: 'packet', listener: (packet: { type: string }) => void): unknown;
  /** A new transport: probed (`upgrading`), then in use (`upgrade`). */
  on(event: 'upgrading' | 'upgrade', listener: (transport: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'packet', listener: (packet: { type: string }) => void): unknown;
}

/** What the budget needs of a `ws` WebSocket: its control frames. */
interface ControlFrames {
  on(event: 'ping' | 'pong', listener: () => void): unknown;
  off(event: 'ping' | 'pong', listener: () => void): unknown;
}

/**
 * Counts every packet of `conn` and every WebSocket ping or pong frame under it, and calls
 * `exceeded` once, at the first one over budget. A WebSocket that a polling connection upgrades
 * to is watched from its probe (`upgrading`): engine.io announces it no earlier, and drops it if
 * the probe does not come within its upgrade timeout.
 */
export function watchInboundBudget(
  conn: InboundConnection,
  budget: Required<InboundBudgetOptions>,
  now: () => number,
  exceeded: () => void,
): void {
  const bucket = new TokenBucket(budget.perSecond, budget.burst, now());
  const framed: ControlFrames[] = [];
  const stop = () => {
    conn.off('packet', count);
    for (const socket of framed.splice(0)) {
      socket.off('ping', count);
      socket.off('pong', count);
    }
  };
  function count(): void {
    if (bucket.take(now())) return;
    stop();
    exceeded();
  }
  const watchFrames = (transport: unknown) => {
    const socket = controlFramesOf(transport);
    if (socket === undefined || framed.includes(socket)) return;
    framed.push(socket);
    socket.on('ping', count);
    socket.on('pong', count);
  };
  conn.on('packet', count);
  watchFrames(conn.transport);
  conn.on('upgrading', watchFrames);
  conn.on('upgrade', watchFrames);
  conn.on('close', stop);
}

/** The `ws` socket of an engine.io WebSocket transport; undefined for polling (no frames). */
function controlFramesOf(transport: unknown): ControlFrames | undefined {
  const socket = (transport as { socket?: unknown } | null | undefined)?.socket;
  const frames = socket as Partial<ControlFrames> | null | undefined;
  return typeof frames?.on === 'function' && typeof frames.off === 'function'
    ? (frames as ControlFrames)
    : undefined;
}
