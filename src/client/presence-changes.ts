/**
 * What one state or diff changed for each user, as an app wants to hear it: metas that came
 * (a join), metas that were replaced in place (an update: the new meta's `phx_ref_prev` names a
 * meta that is gone, or a known `phx_ref` came with new content) and metas that went (a leave).
 * Computed from the states before and after, so a re-sent known meta is no join, a leave of an
 * unknown ref is no leave, and an update is never reported as a leave plus a join.
 */
import type { PhoenixMeta, PresenceMap, UserMetas } from '../domain/client-protocol.js';

/** One user's change, in the order an app should hear it: join, update, leave. */
export type UserPresenceChange<M extends PhoenixMeta = PhoenixMeta> =
  | {
      readonly kind: 'join';
      readonly userId: string;
      /** The presence before the change; `undefined` if the user was not visible. */
      readonly current: UserMetas<M> | undefined;
      /** Only the metas that came. */
      readonly joined: UserMetas<M>;
    }
  | {
      readonly kind: 'update';
      readonly userId: string;
      /** The presence after the change. */
      readonly presence: UserMetas<M>;
    }
  | {
      readonly kind: 'leave';
      readonly userId: string;
      /** The presence after the change; `{metas: []}` if the user is gone. */
      readonly current: UserMetas<M>;
      /** Only the metas that went. */
      readonly left: UserMetas<M>;
    };

/** The changes between `before` and `after` for the given keys (each key looked at once). */
export function presenceChanges<M extends PhoenixMeta>(
  before: PresenceMap<M>,
  after: PresenceMap<M>,
  keys: Iterable<string>,
): UserPresenceChange<M>[] {
  const changes: UserPresenceChange<M>[] = [];
  const seen = new Set<string>();
  for (const userId of keys) {
    if (seen.has(userId)) continue;
    seen.add(userId);
    changesOfUser(userId, own(before, userId), own(after, userId), changes);
  }
  return changes;
}

function changesOfUser<M extends PhoenixMeta>(
  userId: string,
  before: UserMetas<M> | undefined,
  after: UserMetas<M> | undefined,
  out: UserPresenceChange<M>[],
): void {
  const beforeMetas = before?.metas ?? [];
  const afterMetas = after?.metas ?? [];
  const beforeByRef = new Map(beforeMetas.map((m) => [m.phx_ref, m]));
  const afterRefs = new Set(afterMetas.map((m) => m.phx_ref));
  const gone = new Set(beforeMetas.filter((m) => !afterRefs.has(m.phx_ref)).map((m) => m.phx_ref));

  const joined: M[] = [];
  let updated = false;
  for (const meta of afterMetas) {
    const old = beforeByRef.get(meta.phx_ref);
    if (old !== undefined) {
      if (old !== meta && JSON.stringify(old) !== JSON.stringify(meta)) updated = true;
    } else if (meta.phx_ref_prev !== undefined && gone.has(meta.phx_ref_prev)) {
      gone.delete(meta.phx_ref_prev);
      updated = true;
    } else {
      joined.push(meta);
    }
  }
  const left = beforeMetas.filter((m) => gone.has(m.phx_ref));

  if (joined.length > 0) {
    out.push({ kind: 'join', userId, current: before, joined: { ...after!, metas: joined } });
  }
  if (updated) out.push({ kind: 'update', userId, presence: after! });
  if (left.length > 0) {
    const current = after ?? { ...before!, metas: [] };
    out.push({ kind: 'leave', userId, current, left: { ...before!, metas: left } });
  }
}

function own<T>(obj: { [key: string]: T }, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
