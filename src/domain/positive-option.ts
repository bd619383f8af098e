/**
 * The checks every numeric option goes through: a positive integer (counts, sizes, milliseconds)
 * or, for rates, a positive number. Two functions rather than a boolean flag, so a call says which.
 */
import { InvalidOptionError } from '../errors.js';

/** A positive integer, or an InvalidOptionError naming the option. */
export function positiveOption(name: string, value: number): number {
  if (isPositive(value) && Number.isInteger(value)) return value;
  throw invalid(name, 'integer', value);
}

/** A positive number, fractions allowed (a rate such as 0.5 per second). */
export function positiveNumberOption(name: string, value: number): number {
  if (isPositive(value)) return value;
  throw invalid(name, 'number', value);
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && value > 0;
}

function invalid(name: string, kind: 'integer' | 'number', value: unknown): InvalidOptionError {
  return new InvalidOptionError(`${name} must be a positive ${kind}, got ${String(value)}`);
}
