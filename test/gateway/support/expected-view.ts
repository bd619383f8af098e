/**
 * What a viewer's synced view must be, read from the server's own tracker and graph: every
 * online user the viewer may see (with all their visible metas), plus the viewer's own
 * connections, visible or invisible. Metas are in the wire shape (the gateway's `wireRefs`).
 */
import type { PresenceState as PhoenixState } from 'phoenix';
import type { WireRefs } from '../../../src/gateway/outbound/wire-refs.js';
import type { TrackerReplica } from '../../../src/runtime/tracker-replica.js';

type Metas = Array<Record<string, unknown>>;

export function expectedView(
  replica: TrackerReplica,
  viewer: string,
  visible: readonly string[],
  refs: WireRefs,
): Record<string, Metas> {
  const out: Record<string, Metas> = {};
  const add = (user: string, topic: string) => {
    const metas = replica.view.get(topic, user).map((p) => ({ ...refs.meta(p) }));
    if (metas.length > 0) out[user] = [...(out[user] ?? []), ...metas];
  };
  add(viewer, `user:${viewer}`);
  add(viewer, `self:${viewer}`);
  for (const user of visible) if (user !== viewer) add(user, `user:${user}`);
  return normalise(out);
}

/** Sorts users and metas (by phx_ref) and drops phx_ref_prev, which Phoenix clients keep as is. */
export function normalise(view: PhoenixState | Record<string, Metas>): Record<string, Metas> {
  const out: Record<string, Metas> = {};
  for (const user of Object.keys(view).sort()) {
    const metas = view[user] as { metas?: Metas } | Metas;
    const list = Array.isArray(metas) ? metas : (metas.metas ?? []);
    out[user] = list
      .map(({ phx_ref_prev: _, ...meta }) => meta)
      .sort((a, b) => String(a['phx_ref']).localeCompare(String(b['phx_ref'])));
  }
  return out;
}
