/** The part of the `phoenix` npm package (no bundled types) the client tests compare against. */
declare module 'phoenix' {
  type State = Record<string, { metas: { phx_ref: string }[] }>;
  type OnJoin = (key: string, current: never, joined: never) => void;
  type OnLeave = (key: string, current: never, left: never) => void;

  export class Presence {
    constructor(
      channel: {
        on(event: string, callback: (payload: unknown) => void): unknown;
        joinRef(): unknown;
      },
      opts?: { events?: { state: string; diff: string } },
    );
    state: State;
    pendingDiffs: unknown[];
    onJoin(callback: OnJoin): void;
    onLeave(callback: OnLeave): void;
    onSync(callback: () => void): void;
    list<T>(by?: (key: string, presence: unknown) => T): T[];
    static syncState(current: object, newState: object, onJoin?: OnJoin, onLeave?: OnLeave): State;
    static syncDiff(state: object, diff: object, onJoin?: OnJoin, onLeave?: OnLeave): State;
    static list<T>(presences: object, chooser?: (key: string, presence: unknown) => T): T[];
  }
}
