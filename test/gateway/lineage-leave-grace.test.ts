/**
 * The leave grace with a device's lineage (PROTOCOL.md, "Wire identity of a device, and
 * takeover"): a device dropped from one node and back with its lineage and status, on the same
 * node or the other one, within the grace: friends on both nodes are sent nothing about it (the
 * same `phx_ref` before and after); with another status, one update. Without a lineage, the old
 * behaviour (a new ref). The grace runs on a manual clock that never moves here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { dropConnection, type GraceNodes, startGraceNodes } from './support/grace-cluster.js';
import { connect, type TestClient } from './support/test-client.js';

let cluster: GraceNodes | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cluster?.close();
  cluster = undefined;
});

async function setup() {
  cluster = await startGraceNodes(2);
  await cluster.graph.addEdge('alice', 'bob');
  await cluster.graph.addEdge('carol', 'bob');
  const bobs: TestClient[] = [];
  const aboutAlice: string[][] = [[], []];
  for (const [i, node] of cluster.nodes.entries()) {
    const bob = await connect(node.url, 'bob', {
      inspect: (_c, event, payload) => {
        if (event !== 'presence_diff') return;
        const diff = payload as { joins: Record<string, unknown>; leaves: Record<string, unknown> };
        if (diff.joins['alice']) aboutAlice[i]!.push('join');
        if (diff.leaves['alice']) aboutAlice[i]!.push('leave');
      },
    });
    clients.push(bob);
    await bob.ready();
    bobs.push(bob);
  }
  return { nodes: cluster.nodes, bobs, aboutAlice };
}

async function open(url: string, status: string, lineage?: string): Promise<TestClient> {
  const client = await connect(url, 'alice', {
    device: 'phone',
    status,
    ...(lineage === undefined ? {} : { auth: { lineage } }),
  });
  clients.push(client);
  await client.ready();
  return client;
}

const refs = (bob: TestClient) => bob.metas('alice').map((m) => String(m['phx_ref']));

/** Diffs reach a socket in order: once both bobs see carol, they got everything about alice. */
async function settle(nodes: { url: string }[], bobs: TestClient[], n: number): Promise<void> {
  const carol = await connect(nodes[1]!.url, 'carol', { status: `sentinel${n}` });
  clients.push(carol);
  await waitFor(() => bobs.every((b) => b.metas('carol').length === n), {
    description: 'both bobs see the sentinel',
  });
}

describe('leave grace with a lineage', () => {
  for (const where of [0, 1]) {
    it(`back on node ${where} with the same lineage and status: friends are sent nothing`, async () => {
      const { nodes, bobs, aboutAlice } = await setup();
      const phone = await open(nodes[0]!.url, 'online', 'phone-lineage-1');
      await waitFor(() => bobs.every((b) => refs(b).length === 1), {
        description: 'bob sees alice',
      });
      const before = refs(bobs[0]!);
      for (const seen of aboutAlice) seen.length = 0;
      await dropConnection(nodes[0]!, phone);
      await open(nodes[where]!.url, 'online', 'phone-lineage-1');
      await settle(nodes, bobs, 1);
      expect(aboutAlice).toEqual([[], []]);
      for (const bob of bobs) expect(refs(bob)).toEqual(before);
      for (const node of nodes) {
        expect(node.server.replica.view.get('user:alice', 'alice')).toHaveLength(1);
      }
      await waitFor(() => nodes[0]!.server.gateway.stats().graced === 0, {
        description: 'node 0 ended the graced entry',
      });
      expect(nodes[0]!.server.gateway.stats().graceResumed).toBe(1);
    });
  }

  it('back with another status: one update (the old ref as phx_ref_prev), never a bare leave', async () => {
    const { nodes, bobs, aboutAlice } = await setup();
    const phone = await open(nodes[0]!.url, 'online', 'phone-lineage-2');
    await waitFor(() => bobs.every((b) => refs(b).length === 1), { description: 'bob sees alice' });
    const before = refs(bobs[0]!)[0]!;
    for (const seen of aboutAlice) seen.length = 0;
    const marks = bobs.map((b) => b.history.length);
    await dropConnection(nodes[0]!, phone);
    await open(nodes[1]!.url, 'away', 'phone-lineage-2');
    await settle(nodes, bobs, 1);
    for (const [i, bob] of bobs.entries()) {
      expect(aboutAlice[i]).toEqual(['join', 'leave']);
      const [meta] = bob.metas('alice');
      expect(meta?.['status']).toBe('away');
      expect(meta?.['phx_ref']).not.toBe(before);
      expect(meta?.['phx_ref_prev']).toBe(before);
      expect(bob.history.slice(marks[i]).every((users) => users.includes('alice'))).toBe(true);
    }
  });
});
