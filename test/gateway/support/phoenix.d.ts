/** The part of the `phoenix` npm package the gateway tests use (it ships no typings). */
declare module 'phoenix' {
  export type PresenceState = Record<string, { metas: Array<Record<string, unknown>> }>;
  export class Presence {
    static syncState(current: PresenceState, next: PresenceState): PresenceState;
    static syncDiff(
      current: PresenceState,
      diff: { joins: PresenceState; leaves: PresenceState },
    ): PresenceState;
    static list<T>(presences: PresenceState, chooser?: (key: string, presence: unknown) => T): T[];
  }
}
