/** Maps pg and network errors onto the graph provider's error codes. */
import { GraphProviderError } from '../../src/errors.js';

const UNDEFINED_TABLE = '42P01';
const QUERY_CANCELED = '57014';

export function toGraphProviderError(what: string, error: unknown): GraphProviderError {
  if (error instanceof GraphProviderError) return error;
  const message = (error as Error)?.message ?? String(error);
  const sqlState = (error as { code?: unknown })?.code;
  if (sqlState === UNDEFINED_TABLE) {
    return new GraphProviderError(
      'PRESENCE_GRAPH_UNAVAILABLE',
      `PostgresFriendsGraph: ${what}: the friendships table is missing; run graph-adapters/postgres/migrate.ts (${message})`,
      { cause: error },
    );
  }
  const isTimeout = sqlState === QUERY_CANCELED || /timeout/i.test(message);
  return new GraphProviderError(
    isTimeout ? 'PRESENCE_GRAPH_TIMEOUT' : 'PRESENCE_GRAPH_UNAVAILABLE',
    `PostgresFriendsGraph: ${what} failed: ${message}`,
    { cause: error },
  );
}
