/**
 * A cluster of pure PresenceStates joined by an explicit, adversarial message network, for
 * property tests. Every replica keeps a mirror of its visible set built only from the joins and
 * leaves it reported, so "every visible change reported exactly once" is checked after each step.
 */
import fc from 'fast-check';
import {
  type DeltaWindow,
  LINEAGE_FIELD,
  type Presence,
  PresenceState,
  type ReplicaRef,
  replicaKey,
  type TransferPart,
} from '../../src/core/index.js';

export type Message =
  | { kind: 'delta'; to: number; window: DeltaWindow }
  | { kind: 'transfer'; to: number; part: TransferPart };

export type Step =
  | { kind: 'track'; replica: number; topic: number; key: number; conn: number; value: number }
  | { kind: 'untrack'; replica: number; topic: number; key: number; conn: number }
  | { kind: 'untrackConnection'; replica: number; conn: number }
  | { kind: 'update'; replica: number; topic: number; key: number; conn: number; value: number }
  | {
      kind: 'move';
      replica: number;
      topic: number;
      key: number;
      conn: number;
      toTopic: number;
      value: number;
    }
  | { kind: 'broadcast'; replica: number }
  | { kind: 'requestTransfer'; replica: number; from: number }
  | { kind: 'down'; replica: number; of: number }
  | { kind: 'up'; replica: number; of: number }
  | { kind: 'release'; replica: number; of: number; limit: number }
  | { kind: 'deliver'; pick: number }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'drop'; pick: number };

const small = fc.nat({ max: 3 });

export function stepArb(replicas: number, options: { release?: boolean } = {}): fc.Arbitrary<Step> {
  const replica = fc.nat({ max: replicas - 1 });
  const release: fc.Arbitrary<Step> = fc.record({
    kind: fc.constant('release' as const),
    replica,
    of: replica,
    limit: fc.integer({ min: 1, max: 3 }),
  });
  return fc.oneof(
    { weight: options.release ? 1 : 0, arbitrary: release },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('track' as const),
        replica,
        topic: small,
        key: small,
        conn: small,
        value: fc.nat({ max: 9 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('untrack' as const),
        replica,
        topic: small,
        key: small,
        conn: small,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('untrackConnection' as const),
        replica,
        conn: small,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('update' as const),
        replica,
        topic: small,
        key: small,
        conn: small,
        value: fc.nat({ max: 9 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('move' as const),
        replica,
        topic: small,
        key: small,
        conn: small,
        toTopic: small,
        value: fc.nat({ max: 9 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('broadcast' as const), replica }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('requestTransfer' as const),
        replica,
        from: replica,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('down' as const), replica, of: replica }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('up' as const), replica, of: replica }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }) },
  );
}

/** A presence's identity and content, comparable across replicas. */
export function presenceId(p: Presence): string {
  return `${p.replica.key}|${p.counter}|${p.topic}|${p.key}|${JSON.stringify(p.meta)}|${p.prev}`;
}

export class CoreCluster {
  readonly states: PresenceState[];
  readonly refs: ReplicaRef[];
  readonly mirrors: Map<string, Presence>[];
  readonly inflight: Message[] = [];
  private transfers = 0;
  private readonly lineages: boolean;

  /** Topic names by step index (a step's `topic` is 0..3). */
  readonly topics: readonly string[];

  constructor(
    size: number,
    options: {
      chunkSize?: number;
      maxDeltaSizes?: number[];
      topics?: readonly string[];
      countedTopicPrefixes?: readonly string[];
      /**
       * Metas carry a lineage: connection `cN` of any replica is device `lN`, started at the
       * replica's index (so a device tracked on two replicas is one group, ranked by replica).
       */
      lineages?: boolean;
    } = {},
  ) {
    this.lineages = options.lineages ?? false;
    this.topics = options.topics ?? ['t0', 't1', 't2', 't3'];
    this.refs = Array.from({ length: size }, (_, i) => ({ name: `node${i}`, vsn: 1 }));
    this.states = this.refs.map(
      (ref) =>
        new PresenceState(ref, {
          snapshotChunkSize: options.chunkSize ?? 3,
          maxDeltaSizes: options.maxDeltaSizes ?? [2, 5, 10],
          countedTopicPrefixes: options.countedTopicPrefixes,
        }),
    );
    this.mirrors = this.refs.map(() => new Map());
    for (const [i, state] of this.states.entries()) {
      for (const ref of this.refs) this.observe(i, state.replicaUp(ref));
    }
  }

  /** Applies a change to replica i's mirror, failing on a double join or a leave of nothing. */
  observe(i: number, change: { joins: Presence[]; leaves: Presence[] }): void {
    const mirror = this.mirrors[i]!;
    for (const p of change.leaves) {
      const id = presenceId(p);
      if (!mirror.delete(id)) throw new Error(`replica ${i}: leave of unseen ${id}`);
    }
    for (const p of change.joins) {
      const id = presenceId(p);
      if (mirror.has(id)) throw new Error(`replica ${i}: double join of ${id}`);
      mirror.set(id, p);
    }
  }

  visible(i: number): string[] {
    const state = this.states[i]!;
    const out: string[] = [];
    for (const topic of this.topics) {
      for (const p of state.list(topic)) out.push(presenceId(p));
    }
    return out.sort();
  }

  mirrorIds(i: number): string[] {
    return [...this.mirrors[i]!.keys()].sort();
  }

  /** Every replica's own live entries: what everyone must converge to. */
  truth(): string[] {
    return this.states.flatMap((state, i) => state.entriesOf(this.refs[i]!).map(presenceId)).sort();
  }

  run(step: Step): void {
    switch (step.kind) {
      case 'track': {
        const r = this.states[step.replica]!.track(
          this.topics[step.topic]!,
          `k${step.key}`,
          `c${step.conn}`,
          this.meta(step.replica, step.conn, { v: step.value }),
        );
        if (r.ok) this.observe(step.replica, r.change);
        return;
      }
      case 'untrack':
        this.observe(
          step.replica,
          this.states[step.replica]!.untrack(
            this.topics[step.topic]!,
            `k${step.key}`,
            `c${step.conn}`,
          ),
        );
        return;
      case 'untrackConnection':
        this.observe(step.replica, this.states[step.replica]!.untrackConnection(`c${step.conn}`));
        return;
      case 'update': {
        const r = this.states[step.replica]!.update(
          this.topics[step.topic]!,
          `k${step.key}`,
          `c${step.conn}`,
          this.meta(step.replica, step.conn, { v: step.value, u: true }),
        );
        if (r.ok) this.observe(step.replica, r.change);
        return;
      }
      case 'move': {
        const r = this.states[step.replica]!.move(
          this.topics[step.topic]!,
          `k${step.key}`,
          `c${step.conn}`,
          this.topics[step.toTopic]!,
          this.meta(step.replica, step.conn, { v: step.value, m: true }),
        );
        if (r.ok) this.observe(step.replica, r.change);
        return;
      }
      case 'broadcast':
        this.broadcast(step.replica);
        return;
      case 'down':
        this.observe(step.replica, this.states[step.replica]!.replicaDown(this.refs[step.of]!));
        return;
      case 'up':
        this.observe(step.replica, this.states[step.replica]!.replicaUp(this.refs[step.of]!));
        return;
      case 'release':
        this.observe(
          step.replica,
          this.states[step.replica]!.releaseHeld(this.refs[step.of]!, step.limit).change,
        );
        return;
      case 'requestTransfer':
        if (step.from !== step.replica) this.requestTransfer(step.replica, step.from);
        return;
      case 'deliver':
      case 'duplicate':
      case 'drop': {
        if (this.inflight.length === 0) return;
        const index = step.pick % this.inflight.length;
        const message = this.inflight[index]!;
        if (step.kind !== 'duplicate') this.inflight.splice(index, 1);
        if (step.kind !== 'drop') this.deliver(message);
        return;
      }
    }
  }

  /** The meta of a step: with a lineage of its connection when the cluster has lineages. */
  meta(replica: number, conn: number, fields: Record<string, unknown>): Record<string, unknown> {
    return this.lineages ? { ...fields, [LINEAGE_FIELD]: [`l${conn}`, replica] } : fields;
  }

  broadcast(i: number): void {
    const window = this.states[i]!.takeDelta();
    if (!window) return;
    for (let to = 0; to < this.states.length; to++) {
      if (to !== i) this.inflight.push({ kind: 'delta', to, window });
    }
  }

  requestTransfer(requester: number, responder: number): void {
    const state = this.states[requester]!;
    const parts = this.states[responder]!.extract(
      this.refs[requester]!,
      state.clock(),
      `x${this.transfers++}`,
    );
    for (const part of parts) this.inflight.push({ kind: 'transfer', to: requester, part });
  }

  deliver(message: Message): void {
    const state = this.states[message.to]!;
    const result =
      message.kind === 'delta'
        ? state.mergeDelta(message.window)
        : state.mergeTransfer(message.part);
    this.observe(message.to, result.change);
  }

  /** Heals the network: everything sent so far arrives, then anti-entropy rounds until quiet. */
  heal(): void {
    for (const [i, state] of this.states.entries()) {
      for (const ref of this.refs) this.observe(i, state.replicaUp(ref));
    }
    for (let i = 0; i < this.states.length; i++) this.broadcast(i);
    while (this.inflight.length > 0) this.deliver(this.inflight.shift()!);
    for (let round = 0; round < 3; round++) {
      for (let a = 0; a < this.states.length; a++) {
        for (let b = 0; b < this.states.length; b++) {
          if (a === b) continue;
          this.requestTransfer(a, b);
          while (this.inflight.length > 0) this.deliver(this.inflight.shift()!);
        }
      }
    }
  }

  contexts(i: number): Record<string, number> {
    return Object.fromEntries([...this.states[i]!.clock()].sort());
  }

  key(i: number): string {
    return replicaKey(this.refs[i]!);
  }
}
