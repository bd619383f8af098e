/**
 * A user's device for delivery tests: the real client SDK (`createPresenceClient`) with a
 * `message` listener that records what it shows. Its de-duplication is the SDK's own.
 */
import {
  createPresenceClient,
  type PresenceClient,
  type PresenceClientOptions,
  type PresenceMessage,
} from '../../../src/client/index.js';
import { tokenFor } from '../../gateway/support/test-server.js';

export interface Inbox {
  readonly user: string;
  readonly client: PresenceClient;
  /** Every message shown, in order. */
  readonly shown: PresenceMessage[];
  /** How many times each id was shown (a retry shown twice would make a 2). */
  timesShown(id: string): number;
  close(): void;
}

export interface InboxOptions {
  /** Add a `message` listener (without one, the SDK does not ack). @default true */
  readonly listen?: boolean;
  readonly socketOptions?: PresenceClientOptions['socketOptions'];
  readonly status?: string;
}

/** Connects `user` to `url` and resolves once connected. */
export async function openInbox(
  url: string,
  user: string,
  options: InboxOptions = {},
): Promise<Inbox> {
  const token = await tokenFor(user);
  const client = createPresenceClient(url, {
    token,
    ...(options.status === undefined ? {} : { status: options.status }),
    socketOptions: {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...options.socketOptions,
    },
  });
  const shown: PresenceMessage[] = [];
  if (options.listen !== false) client.on('message', (message) => shown.push(message));
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', reject);
  });
  return {
    user,
    client,
    shown,
    timesShown: (id) => shown.filter((message) => message.id === id).length,
    close: () => client.disconnect(),
  };
}
