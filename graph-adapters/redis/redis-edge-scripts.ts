/**
 * Lua scripts that write both sides of an edge and publish the change in one atomic step, and
 * only when the graph actually changed, so a duplicate add or an absent remove is silent.
 * KEYS[1] is the source's set; KEYS[2], for undirected edges only, the target's friends set.
 */
import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

function editScript(command: 'SADD' | 'SREM'): string {
  return `
local changed = redis.call('${command}', KEYS[1], ARGV[2])
if #KEYS == 2 then
  changed = math.max(changed, redis.call('${command}', KEYS[2], ARGV[1]))
end
if changed > 0 then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return changed`;
}

export interface EdgeScript {
  readonly source: string;
  readonly sha: string;
}

function toEdgeScript(source: string): EdgeScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export const ADD_EDGE_SCRIPT = toEdgeScript(editScript('SADD'));
export const REMOVE_EDGE_SCRIPT = toEdgeScript(editScript('SREM'));

/** EVALSHA, falling back to EVAL the first time a server has not cached the script. */
export async function runEdgeScript(
  client: Redis,
  script: EdgeScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** Queues the script on a pipeline; call `loadEdgeScripts` first so EVALSHA finds it. */
export function queueEdgeScript(
  pipeline: ChainableCommander,
  script: EdgeScript,
  keys: readonly string[],
  args: readonly string[],
): void {
  pipeline.evalsha(script.sha, keys.length, ...keys, ...args);
}

export async function loadEdgeScripts(client: Redis): Promise<void> {
  await client.script('LOAD', ADD_EDGE_SCRIPT.source);
  await client.script('LOAD', REMOVE_EDGE_SCRIPT.source);
}
