/** The sender's per-user queue: first in, first out, across its compactions. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/webhooks/fifo.js';

describe('Fifo', () => {
  it('behaves like an array pushed at the end and shifted at the front', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.constant('shift' as const)), { maxLength: 500 }),
        (ops) => {
          const fifo = new Fifo<number>();
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(fifo.shift()).toBe(model.shift());
            else {
              fifo.push(op);
              model.push(op);
            }
            expect(fifo.length).toBe(model.length);
            expect(fifo.peek()).toBe(model[0]);
          }
        },
      ),
    );
  });
});
