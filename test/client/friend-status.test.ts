/**
 * The SDK's `statusOf` aggregation agrees with the server's presence query: for any set of
 * connections, the same overall status (one shared rule), and per kind the same strongest status
 * as the query gives per kind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { friendStatus } from '../../src/client/friend-status.js';
import { type Meta, PresenceState } from '../../src/core/index.js';
import type { PhoenixMeta } from '../../src/domain/client-protocol.js';
import { userPresence } from '../../src/query/user-presence.js';

const status = fc.constantFrom('online', 'away', 'busy', 'dnd', 'offline', '');
const kind = fc.constantFrom('web', 'mobile', 'desktop', 'other');
const connection = fc.record({ status, kind });

describe('friendStatus', () => {
  it('agrees with the presence query for any connections', () => {
    fc.assert(
      fc.property(fc.array(connection, { maxLength: 8 }), (connections) => {
        const state = new PresenceState({ name: 'unit', vsn: 1 });
        connections.forEach((c, i) => {
          const meta: Meta = { status: c.status, kind: c.kind };
          state.track('user:u', 'u', `c${i}`, meta);
        });
        const query = userPresence(state.get('user:u', 'u'));
        const metas: PhoenixMeta[] = connections.map((c, i) => ({
          phx_ref: `r${i}`,
          status: c.status,
          kind: c.kind,
        }));
        const sdk = friendStatus(connections.length === 0 ? undefined : { metas });
        expect(sdk.status).toBe(query.status);
        expect({ ...sdk.kinds }).toEqual({ ...query.devices });
      }),
    );
  });

  it('counts a meta without a known kind as other, without a status as online', () => {
    const metas: PhoenixMeta[] = [
      { phx_ref: 'a', status: 'away', kind: 'tablet' },
      { phx_ref: 'b' },
    ];
    expect(friendStatus({ metas })).toEqual({ status: 'online', kinds: { other: 'online' } });
    expect(friendStatus(undefined)).toEqual({ status: 'offline', kinds: {} });
  });
});
