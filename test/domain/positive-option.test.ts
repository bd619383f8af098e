import { describe, expect, it } from 'vitest';
import { positiveNumberOption, positiveOption } from '../../src/domain/positive-option.js';
import { InvalidOptionError } from '../../src/errors.js';

describe('numeric options', () => {
  it('positiveOption takes a positive integer and names the option otherwise', () => {
    expect(positiveOption('burst', 3)).toBe(3);
    for (const bad of [0, -1, 1.5, Number.NaN, '3' as unknown as number]) {
      expect(() => positiveOption('burst', bad)).toThrow(InvalidOptionError);
    }
    expect(() => positiveOption('burst', 1.5)).toThrow('burst must be a positive integer, got 1.5');
  });

  it('positiveNumberOption takes a fraction too (a rate)', () => {
    expect(positiveNumberOption('perSecond', 0.5)).toBe(0.5);
    for (const bad of [0, -0.5, Number.NaN, null as unknown as number]) {
      expect(() => positiveNumberOption('perSecond', bad)).toThrow(InvalidOptionError);
    }
    expect(() => positiveNumberOption('perSecond', -1)).toThrow(
      'perSecond must be a positive number, got -1',
    );
  });
});
