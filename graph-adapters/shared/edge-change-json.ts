/**
 * Validation of changes that arrive as JSON from outside the process (Redis pub/sub,
 * PostgreSQL NOTIFY, HTTP webhooks). Returns the change, or a reason it was rejected.
 */

import { isValidUserId } from '../../src/domain/user-id.js';
import type { EdgeChange, FriendsGraphChange } from '../../src/ports/friends-graph.js';

export type ParsedChange = { ok: true; change: FriendsGraphChange } | { ok: false; reason: string };

export function parseChange(value: unknown): ParsedChange {
  if (typeof value !== 'object' || value === null) return fail('a change must be an object');
  const record = value as Record<string, unknown>;
  switch (record['kind']) {
    case 'edge-added':
    case 'edge-removed':
      return parseEdgeChange(record);
    case 'visibility-changed': {
      const viewers = record['viewers'];
      if (!Array.isArray(viewers) || !viewers.every(isUserId)) {
        return fail('visibility-changed needs "viewers": an array of user ids');
      }
      return { ok: true, change: { kind: 'visibility-changed', viewers: [...viewers] } };
    }
    case 'reset':
      return { ok: true, change: { kind: 'reset' } };
    default:
      return fail(
        `unknown change kind ${JSON.stringify(record['kind'])}; expected edge-added, edge-removed, visibility-changed or reset`,
      );
  }
}

export function parseChangeJson(text: string): ParsedChange {
  try {
    return parseChange(JSON.parse(text));
  } catch {
    return fail('not valid JSON');
  }
}

function parseEdgeChange(record: Record<string, unknown>): ParsedChange {
  const { source, target, directed } = record;
  if (!isUserId(source) || !isUserId(target)) {
    return fail(`${String(record['kind'])} needs "source" and "target": non-empty string ids`);
  }
  if (directed !== undefined && typeof directed !== 'boolean') {
    return fail('"directed" must be a boolean when present');
  }
  const change: EdgeChange = {
    kind: record['kind'] as EdgeChange['kind'],
    source,
    target,
    directed: directed === true,
  };
  return { ok: true, change };
}

export const isUserId: (value: unknown) => value is string = isValidUserId;

function fail(reason: string): ParsedChange {
  return { ok: false, reason };
}
