/**
 * Clients of a running node: demo tokens from `/demo/token` and the real client SDK over
 * socket.io, each remembering every user id any payload ever named (for privacy checks).
 */
import { createPresenceClient, type PresenceClient } from '../../../src/client/index.js';
import type { DeviceKind } from '../../../src/domain/device-kind.js';

export interface WatchedClient {
  readonly user: string;
  readonly client: PresenceClient;
  /** Every user id named in any presence_state or presence_diff so far. */
  readonly seen: Set<string>;
  /** Users in the synced view, sorted. */
  users(): string[];
  status(user: string): string[];
}

export async function demoToken(url: string, user: string): Promise<string> {
  const response = await fetch(`${url}/demo/token?user=${encodeURIComponent(user)}`);
  if (!response.ok) throw new Error(`demo token for ${user}: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export async function connectClient(
  url: string,
  user: string,
  options: { token?: string; device?: string; kind?: DeviceKind; lineage?: string } = {},
): Promise<WatchedClient> {
  const token = options.token ?? (await demoToken(url, user));
  const client = createPresenceClient(url, {
    token,
    device: options.device ?? 'test',
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.lineage === undefined ? {} : { lineage: options.lineage }),
    socketOptions: { transports: ['websocket'], reconnection: false, forceNew: true },
  });
  const seen = new Set<string>();
  const record = (map: unknown) => {
    if (map && typeof map === 'object') for (const id of Object.keys(map)) seen.add(id);
  };
  client.socket.on('presence_state', (state: unknown) => record(state));
  client.socket.on('presence_diff', (diff: { joins?: unknown; leaves?: unknown }) => {
    record(diff?.joins);
    record(diff?.leaves);
  });
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', (error) => reject(error));
  });
  return {
    user,
    client,
    seen,
    users: () =>
      client
        .list()
        .map((p) => p.userId)
        .sort(),
    status: (other) => (client.get(other)?.metas ?? []).map((m) => String(m.status)),
  };
}
