/**
 * Silent takeover after a crash, over real sockets on two in-process nodes (one in-memory bus,
 * replication every 10 ms, a 200 ms down period, a minute's crash grace). Node 0 "crashes" (its
 * tracker link cut, its clients' connections dropped: the others see a silent node), holding
 * several devices of alice, each with a lineage. Each device comes back on node 1 with its
 * lineage before node 1 marks node 0 down, after, or not at all, with its status or another one.
 * Bob watches from node 1 (a Phoenix view).
 *
 * Checked: bob's view of alice equals the model (a device that came back shows its new status,
 * one that did not is still shown, held), every diff bob gets about alice is one update per
 * changed device (no leave without its join: never offline, never a device missing), and when
 * no device changed status bob is sent nothing at all about alice. Both nodes' trackers agree.
 * When alice and bob stop being friends during the grace (before any device is back), bob stops
 * seeing alice at once and is never sent anything of her again, held entries and takeovers
 * included: privacy does not wait for the grace.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { dropConnection, startGraceNodes } from './support/grace-cluster.js';
import { connect, type TestClient } from './support/test-client.js';

const TIMING = {
  broadcastPeriodMs: 10,
  downPeriodMs: 200,
  permdownPeriodMs: 120_000,
  crashGraceMs: 60_000,
};

type Back = 'never' | 'beforeDown' | 'afterDown';
const device = fc.record({
  back: fc.constantFrom<Back>('never', 'beforeDown', 'afterDown'),
  sameStatus: fc.boolean(),
});

type Metas = { metas: { status: string; phx_ref: string; phx_ref_prev?: string }[] };

describe('crash takeover property', () => {
  it('devices back within the crash grace: friends see no leave, and one update per change', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(device, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (devices, unfriend) => {
          const cluster = await startGraceNodes(2, { timing: TIMING });
          const clients: TestClient[] = [];
          const open = async (node: number, d: number, status: string) => {
            const client = await connect(cluster.nodes[node]!.url, 'alice', {
              device: `d${d}`,
              status,
              auth: { lineage: `lineage-of-device-${d}` },
            });
            clients.push(client);
            await client.ready();
            return client;
          };
          const diffs: { joins: Record<string, Metas>; leaves: Record<string, Metas> }[] = [];
          let crashed = false;
          /** Set once bob no longer sees alice after the edge's removal: nothing of her after it. */
          let unfriended = false;
          const afterUnfriend: unknown[] = [];
          try {
            await cluster.graph.addEdge('alice', 'bob');
            await cluster.graph.addEdge('carol', 'bob');
            const bob = await connect(cluster.nodes[1]!.url, 'bob', {
              inspect: (_c, event, payload) => {
                if (unfriended && JSON.stringify(payload).includes('alice')) {
                  afterUnfriend.push([event, payload]);
                }
                if (!crashed || event !== 'presence_diff') return;
                const diff = payload as (typeof diffs)[number];
                if (diff.joins['alice'] || diff.leaves['alice']) diffs.push(diff);
              },
            });
            clients.push(bob);
            await bob.ready();
            const before: TestClient[] = [];
            for (const [d] of devices.entries()) before.push(await open(0, d, `s${d}`));
            await waitFor(() => bob.metas('alice').length === devices.length, {
              description: 'bob sees every device of alice',
            });

            crashed = true;
            cluster.setTrackerLink(0, false);
            for (const client of before) await dropConnection(cluster.nodes[0]!, client);
            if (unfriend) {
              await cluster.graph.removeEdge('alice', 'bob');
              await waitFor(() => bob.metas('alice').length === 0, {
                description: 'bob stops seeing alice once they are no longer friends',
              });
              unfriended = true;
            }
            const status = (d: number) => (devices[d]!.sameStatus ? `s${d}` : `t${d}`);
            for (const [d, { back }] of devices.entries()) {
              if (back === 'beforeDown') await open(1, d, status(d));
            }
            await waitFor(() => cluster.nodes[1]!.server.replica.health.counts().down === 1, {
              description: 'node 1 marks node 0 down',
            });
            for (const [d, { back }] of devices.entries()) {
              if (back === 'afterDown') await open(1, d, status(d));
            }
            // A sentinel: diffs reach bob in order, so once he sees carol he got all about alice.
            clients.push(await connect(cluster.nodes[1]!.url, 'carol', { status: 'sentinel' }));
            await waitFor(() => bob.metas('carol').length === 1, { description: 'bob sees carol' });

            const expected = devices
              .map((d, i) => (d.back === 'never' ? `s${i}` : status(i)))
              .sort();
            const tracked = cluster.nodes[1]!.server.replica.view.get('user:alice', 'alice');
            expect(tracked.map((p) => String(p.meta['status'])).sort()).toEqual(expected);
            if (unfriend) {
              expect(bob.metas('alice')).toEqual([]);
              expect(afterUnfriend).toEqual([]);
              return;
            }
            const shown = bob
              .metas('alice')
              .map((m) => String(m['status']))
              .sort();
            expect(shown).toEqual(expected);
            // Never a leave without its join; one update per changed device, nothing otherwise.
            for (const diff of diffs) {
              const left = diff.leaves['alice']?.metas ?? [];
              const joined = diff.joins['alice']?.metas ?? [];
              for (const meta of left) {
                expect(joined.some((j) => j.phx_ref_prev === meta.phx_ref)).toBe(true);
              }
            }
            const changed = devices.filter((d) => d.back !== 'never' && !d.sameStatus).length;
            const updates = diffs.flatMap((d) => d.joins['alice']?.metas ?? []);
            expect(updates).toHaveLength(changed);
          } finally {
            for (const client of clients) client.close();
            await cluster.close();
          }
        },
      ),
      { numRuns: Number(process.env.CRASH_RUNS ?? 8), endOnFailure: true },
    );
  });
});
