/** Checks on user ids at the adapter boundary: the service's one limit (src/domain/user-id.ts). */
import { userIdProblem } from '../../src/domain/user-id.js';
import { InvalidInputError } from '../../src/errors.js';

export { MAX_USER_ID_BYTES } from '../../src/domain/user-id.js';

export function assertUserId(value: unknown, where: string): asserts value is string {
  const problem = userIdProblem(value);
  if (problem !== undefined) throw new InvalidInputError(`${where}: ${problem}`);
}
