import { describe, expect, it } from 'vitest';
import { PacedSender } from '../../src/runtime/paced-sender.js';
import { SimWorld } from '../simulation/sim-network.js';

const frame = (bytes: number) => new Uint8Array(bytes);

describe('PacedSender', () => {
  it('sends a burst at once, then at the configured rate, in order', () => {
    const world = new SimWorld();
    const sender = new PacedSender(world, world, 1000, 3000); // 1 KB/s after a 3 KB burst
    const sent: number[] = [];
    for (let i = 0; i < 6; i++)
      sender.enqueue(
        () => frame(1000),
        () => sent.push(i),
      );
    // A frame goes out when what was sent before it fits the allowance (sizes are known only
    // once encoded): the burst, then one more as soon as the budget grows past it.
    expect(sent).toEqual([0, 1, 2]);
    world.advance(2);
    expect(sent).toEqual([0, 1, 2, 3]);
    world.advance(997); // t = 999: 4,000 bytes sent, allowance 3,999
    expect(sent).toEqual([0, 1, 2, 3]);
    world.advance(2);
    expect(sent).toEqual([0, 1, 2, 3, 4]);
    world.advance(2000);
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sender.pending).toBe(0);
  });

  it('encodes a frame only when it is sent, and clear() drops the rest', () => {
    const world = new SimWorld();
    const sender = new PacedSender(world, world, 1000, 1000);
    let encoded = 0;
    for (let i = 0; i < 5; i++) {
      sender.enqueue(
        () => {
          encoded++;
          return frame(1000);
        },
        () => {},
      );
    }
    expect(encoded).toBe(1);
    sender.clear();
    world.advance(10_000);
    expect(encoded).toBe(1);
  });

  it('starts a fresh burst after being idle', () => {
    const world = new SimWorld();
    const sender = new PacedSender(world, world, 1000, 2000);
    const sent: string[] = [];
    sender.enqueue(
      () => frame(2000),
      () => sent.push('a'),
    );
    world.advance(10_000);
    sender.enqueue(
      () => frame(1000),
      () => sent.push('b'),
    );
    expect(sent).toEqual(['a', 'b']);
  });
});
