/**
 * A socket's owed `presence_diff` as one socket.io packet string, composed from the keys' JSON
 * fragments (each encoded once, however many sockets it reaches) instead of re-encoding objects
 * per socket.
 *
 * socket.io's default parser encodes an event as `2<nsp>,<JSON array>` and hands that string to
 * engine.io (`socket.conn.write`), which is what this writes. A server built with another
 * parser (e.g. msgpack) fails the probe in {@link rawPacketsSupported}; the diff then goes
 * through `socket.emit` as an object.
 */
import type { Server } from 'socket.io';
import type { PresenceDiff } from '../../domain/client-protocol.js';
import type { OwedKey } from './key-change.js';

export interface DiffPacket {
  /** The socket.io packet, `2/presence,["presence_diff",{...}]`. */
  readonly packet: string;
  /** Metas it carries (joins and leaves): the deliveries it stands for. */
  readonly metas: number;
}

/** Builds packets for one namespace. */
export class DiffPacketEncoder {
  private readonly head: string;

  constructor(namespace: string) {
    this.head = `${eventPrefix(namespace, 'presence_diff')}{"joins":{`;
  }

  /**
   * The packet for `owed` (in its order), or undefined when everything in it cancelled out. A
   * socket is owed one entry per key (a user's `user:` and `self:` topics share the key and are
   * folded into one entry before they get here), so no key appears twice in joins or leaves.
   */
  encode(owed: Iterable<OwedKey>): DiffPacket | undefined {
    let joins = '';
    let leaves = '';
    let metas = 0;
    for (const change of owed) {
      const joined = change.joinsJson;
      const left = change.leavesJson;
      if (joined !== '')
        joins += `${joins === '' ? '' : ','}${change.keyJson}:{"metas":[${joined}]}`;
      if (left !== '') leaves += `${leaves === '' ? '' : ','}${change.keyJson}:{"metas":[${left}]}`;
      metas += count(change.joins) + count(change.leaves);
    }
    if (metas === 0) return undefined;
    return { packet: `${this.head}${joins}},"leaves":{${leaves}}}]`, metas };
  }

  /** The diff of a packet as an object, for a server whose parser is not socket.io's default. */
  static diffOf(packet: DiffPacket): PresenceDiff {
    const start = packet.packet.indexOf('[');
    return (JSON.parse(packet.packet.slice(start)) as [string, PresenceDiff])[1];
  }
}

function count(metas: ReadonlyMap<string, unknown> | readonly unknown[]): number {
  return Array.isArray(metas) ? metas.length : (metas as ReadonlyMap<string, unknown>).size;
}

/** The start of a socket.io EVENT packet as the default parser encodes it: `2/nsp,["event",`. */
function eventPrefix(namespace: string, event: string): string {
  return `2${namespace === '/' ? '' : `${namespace},`}[${JSON.stringify(event)},`;
}

/** A socket.io EVENT packet with one argument already encoded as `json`. */
export function eventPacket(namespace: string, event: string, json: string): string {
  return `${eventPrefix(namespace, event)}${json}]`;
}

const probed = new WeakMap<object, boolean>();

/**
 * True when `io` encodes events the way {@link eventPacket} writes them (socket.io's default
 * parser); probed once per server.
 */
export function rawPacketsSupported(io: Server, namespace: string): boolean {
  let yes = probed.get(io.encoder);
  if (yes !== undefined) return yes;
  const probe = { joins: { a: { metas: [{ phx_ref: 'r' }] } }, leaves: {} };
  try {
    const encoded = io.encoder.encode({
      type: 2,
      nsp: namespace,
      data: ['presence_diff', probe],
    } as Parameters<Server['encoder']['encode']>[0]);
    yes =
      encoded.length === 1 &&
      encoded[0] === eventPacket(namespace, 'presence_diff', JSON.stringify(probe));
  } catch {
    yes = false;
  }
  probed.set(io.encoder, yes);
  return yes;
}
