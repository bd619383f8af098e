/**
 * A replica's initial sync (what /readyz waits for): a node that joins a cluster is synced only
 * once it holds what its peers hold; a lone node is synced after the settle ticks; a link outage
 * starts the sync again; a peer that never answers holds it back for at most the down period.
 */
import { describe, expect, it } from 'vitest';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { SimNetwork, SimWorld } from '../simulation/sim-network.js';
import { seededRandom } from '../support/seeded-random.js';

const PERIOD = 100;

function cluster() {
  const world = new SimWorld();
  const network = new SimNetwork(world, seededRandom(7));
  const boot = (name: string, vsn: number) => {
    const transport = network.join(name);
    const replica = new TrackerReplica({
      name,
      vsn,
      broadcastPeriodMs: PERIOD,
      transport,
      clock: world,
      timers: world,
      random: () => 0,
    });
    replica.start();
    return { replica, transport };
  };
  return { world, network, boot };
}

describe('initial sync of a replica', () => {
  it('a lone replica is synced after its settle ticks', () => {
    const { world, boot } = cluster();
    const { replica } = boot('alone', 1);
    expect(replica.synced).toBe(false);
    world.advance(PERIOD * 4);
    expect(replica.synced).toBe(true);
  });

  it("a joining replica is synced only once it holds its peers' presences", () => {
    const { world, boot } = cluster();
    const old = boot('old', 1);
    for (let i = 0; i < 500; i++) old.replica.track('room:x', `u${i}`, `c${i}`, { n: i });
    world.advance(PERIOD * 10);
    expect(old.replica.synced).toBe(true);

    const joining = boot('joining', 2);
    let sizeWhenSynced: number | undefined;
    joining.replica.on('synced', () => {
      sizeWhenSynced = joining.replica.view.list('room:x').length;
    });
    for (let t = 0; t < 30 && !joining.replica.synced; t++) {
      expect(joining.replica.syncingWith.filter((n) => n !== 'old')).toEqual([]);
      world.advance(PERIOD / 2);
    }
    expect(joining.replica.synced).toBe(true);
    expect(sizeWhenSynced).toBe(500);
  });

  it('starts again when the link goes down, and is synced again after it returns', () => {
    const { world, boot } = cluster();
    const a = boot('a', 1);
    const b = boot('b', 2);
    world.advance(PERIOD * 10);
    expect(b.replica.synced).toBe(true);
    b.transport.setLink(false);
    expect(b.replica.synced).toBe(false);
    a.replica.track('room:x', 'late', 'c1', { n: 1 });
    world.advance(PERIOD * 10);
    expect(b.replica.synced).toBe(false);
    b.transport.setLink(true);
    for (let t = 0; t < 30 && !b.replica.synced; t++) world.advance(PERIOD / 2);
    expect(b.replica.synced).toBe(true);
    expect(b.replica.view.list('room:x').map((p) => p.key)).toEqual(['late']);
  });

  it('a peer that stops answering holds the sync back for at most the down period', () => {
    const { world, network, boot } = cluster();
    const a = boot('a', 1);
    a.replica.track('room:x', 'u', 'c1', { n: 1 });
    world.advance(PERIOD * 10);
    const b = boot('b', 2);
    // b hears a's heartbeat first, then nothing from it again.
    world.advance(PERIOD * 1.5);
    network.partition('a', 'b');
    world.advance(PERIOD * 10);
    expect(b.replica.synced).toBe(false);
    world.advance(b.replica.timing.downPeriodMs);
    expect(b.replica.synced).toBe(true);
  });
});
