/**
 * Naive presence routing, the baseline of the race test: look the user up in this node's
 * presence, send the message to the nodes it names (their sockets of the user get it, no ack),
 * and call it delivered. If presence says offline, it would push instead. Frames are JSON on a
 * transport of their own; receivers answer `done` so the test knows every send was processed.
 */
import type { ReplicationTransport } from '../../../src/ports/bus-channel.js';
import type { PresenceServer } from '../../../src/server/create-presence-server.js';

export type NaiveOutcome = 'claimed-delivered' | 'offline';

interface SendFrame {
  readonly t: 'send';
  readonly id: string;
  readonly user: string;
  readonly event: string;
  readonly payload: unknown;
  readonly origin: string;
}

export class NaiveRouter {
  /** Sends handed to a node (this one or another) and not yet processed there. */
  inFlight = 0;
  private readonly name: string;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly server: PresenceServer,
    private readonly transport: ReplicationTransport,
  ) {
    this.name = server.replica.ref.name;
    transport.onFrame((bytes) => {
      const frame = JSON.parse(this.decoder.decode(bytes)) as SendFrame | { t: 'done' };
      if (frame.t === 'done') this.inFlight--;
      else {
        this.emitHere(frame);
        transport.sendTo(frame.origin, this.encoder.encode(JSON.stringify({ t: 'done' })));
      }
    });
  }

  send(id: string, user: string, event: string, payload: unknown): NaiveOutcome {
    const { view } = this.server.replica;
    const hosts = new Set(view.get(`user:${user}`, user).map((p) => p.replica.ref.name));
    if (hosts.size === 0) return 'offline';
    const frame: SendFrame = { t: 'send', id, user, event, payload, origin: this.name };
    for (const host of hosts) {
      if (host === this.name) this.emitHere(frame);
      else {
        this.inFlight++;
        this.transport.sendTo(host, this.encoder.encode(JSON.stringify(frame)));
      }
    }
    return 'claimed-delivered';
  }

  private emitHere(frame: SendFrame): void {
    for (const socket of this.server.gateway.socketsOf(frame.user)) {
      socket.emit(
        'presence_message',
        { id: frame.id, event: frame.event, payload: frame.payload },
        () => {},
      );
    }
  }
}
