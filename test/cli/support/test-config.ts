/**
 * resolveConfig for tests about one option: every node needs a JWT secret (or --demo), so the
 * environment carries one unless the test gives its own.
 */
import { type CliConfig, resolveConfig } from '../../../src/cli/config.js';
import { parseArguments } from '../../../src/cli/parse-arguments.js';

export const TEST_JWT_SECRET = 'cli-config-test-jwt-secret-of-32-bytes!';

export function testConfig(argv: string[], env: Record<string, string> = {}): CliConfig {
  return resolveConfig(parseArguments(argv), { PRESENCE_JWT_SECRET: TEST_JWT_SECRET, ...env }, 1);
}
