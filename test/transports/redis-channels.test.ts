/** The Redis channel names of a cluster (src/transports/redis-channels.ts). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  broadcastChannel,
  DEFAULT_CHANNEL_PREFIX,
  defaultChannelPrefix,
  directChannel,
} from '../../src/transports/redis-channels.js';

const secret = (text: string) => Buffer.from(text, 'utf8');

describe('defaultChannelPrefix', () => {
  it('is graph-presence without a secret', () => {
    expect(defaultChannelPrefix(undefined)).toBe(DEFAULT_CHANNEL_PREFIX);
  });

  it('with a secret, adds 12 hex digits of an HMAC of a fixed label: the same on every node, another for another secret', () => {
    const a = 'cluster-a-secret-of-at-least-32-bytes';
    const expected = createHmac('sha256', secret(a))
      .update('graph-presence channel prefix v1')
      .digest('hex')
      .slice(0, 12);
    expect(defaultChannelPrefix(secret(a))).toBe(`graph-presence-${expected}`);
    expect(defaultChannelPrefix(secret(a))).toBe(defaultChannelPrefix(secret(a)));
    expect(defaultChannelPrefix(secret('cluster-b-secret-of-at-least-32-bytes'))).not.toBe(
      defaultChannelPrefix(secret(a)),
    );
  });

  it('names the broadcast and direct channels under the prefix', () => {
    expect(broadcastChannel('p')).toBe('p:bcast');
    expect(directChannel('p', 'node-1')).toBe('p:to:node-1');
  });
});
