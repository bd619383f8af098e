/** The check every numeric option goes through: a positive number (an integer unless said). */
import { InvalidOptionError } from '../errors.js';

export function positiveOption(name: string, value: number, integer = true): number {
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new InvalidOptionError(
      `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`,
    );
  }
  return value;
}
