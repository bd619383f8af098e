/**
 * A bus instance's incarnation: the start time in milliseconds in the high bits, 20 random bits
 * below, so a bus restarted under the same node name compares higher than its previous self (its
 * receivers then reset the sender's sequence numbers) and two starts in one millisecond differ.
 */
import { randomInt } from 'node:crypto';
import { systemWallClock } from '../ports/clock.js';

export function newIncarnation(nowMs: number = systemWallClock.now()): bigint {
  return (BigInt(Math.floor(nowMs)) << 20n) | BigInt(randomInt(1 << 20));
}
