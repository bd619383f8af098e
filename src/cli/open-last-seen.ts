/**
 * Opens the last-seen store `--last-seen` names and checks it answers (Redis PING; PostgreSQL
 * SELECT 1 and every migration applied) within the stores' call timeout (2 s). A store that does
 * not is a CliError naming the option: the command prints one line and exits 2. With a cluster
 * secret, the shared stores sign what they write and refuse what they read without a valid MAC
 * (src/last-seen/last-seen-seal.ts).
 */

import { MemoryLastSeenStore } from '../last-seen/memory-last-seen-store.js';
import { PostgresLastSeenStore } from '../last-seen/postgres-last-seen-store.js';
import { RedisLastSeenStore } from '../last-seen/redis-last-seen-store.js';
import { NODE_OPTIONS } from '../options/index.js';
import type { LastSeenStore } from '../ports/last-seen-store.js';
import type { Logger } from '../ports/logger.js';
import type { ClusterSecretOptions } from '../transports/cluster-secret.js';
import { CliError, errorMessage } from './cli-error.js';
import { redactUrl } from './graph-spec.js';
import type { LastSeenSpec } from './last-seen-spec.js';

export interface OpenedLastSeenStore {
  readonly store: LastSeenStore;
  readonly description: string;
  /** Stored values refused for a missing or wrong MAC; undefined for the memory store. */
  readonly refusedValues?: () => number;
}

/** @param source names the setting in errors (`--last-seen`, `PRESENCE_LAST_SEEN`, the default). */
export async function openLastSeenStore(
  spec: LastSeenSpec,
  logger: Logger,
  source: string = NODE_OPTIONS.options.lastSeen.flag,
  secrets: ClusterSecretOptions = {},
): Promise<OpenedLastSeenStore> {
  switch (spec.kind) {
    case 'memory':
      return { store: new MemoryLastSeenStore(), description: 'memory (this node only)' };
    case 'redis': {
      const where = redactUrl(spec.url);
      try {
        const store = await RedisLastSeenStore.connect({ url: spec.url, logger, ...secrets });
        return {
          store,
          description: `Redis ${where}`,
          refusedValues: () => store.refusedValues,
        };
      } catch (error) {
        throw new CliError(
          `${source}: cannot reach the Redis last-seen store at ${where} (${errorMessage(error)}); start Redis or fix the URL`,
        );
      }
    }
    case 'postgres': {
      const where = redactUrl(spec.connectionString);
      try {
        const store = await PostgresLastSeenStore.connect({
          connectionString: spec.connectionString,
          schema: spec.schema,
          logger,
          ...secrets,
        });
        return {
          store,
          description: `PostgreSQL ${where} schema ${spec.schema}`,
          refusedValues: () => store.refusedValues,
        };
      } catch (error) {
        const problem = errorMessage(error);
        // A missing migration names its command already; anything else is reachability.
        const fix = problem.includes('last-seen:migrate')
          ? ''
          : '; start PostgreSQL or fix the connection string';
        throw new CliError(
          `${source}: the PostgreSQL last-seen store at ${where} is not usable (${problem})${fix}`,
        );
      }
    }
  }
}
