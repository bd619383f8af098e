/** The part of the `phoenix` npm package the gateway tests use (it ships no typings). */
declare module 'phoenix' {
  export type PresenceState = Record<string, { metas: Array<Record<string, unknown>> }>;
  export const Presence: {
    syncState(current: PresenceState, next: PresenceState): PresenceState;
    syncDiff(
      current: PresenceState,
      diff: { joins: PresenceState; leaves: PresenceState },
    ): PresenceState;
  };
}
