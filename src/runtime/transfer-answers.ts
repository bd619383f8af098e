/**
 * Transfer answers in flight, with flow control.
 *
 * A full transfer of a million presences is ~70 MB. Dumped at once on Redis pub/sub it overflows
 * the receiver's client output buffer (Redis's default for pub/sub clients: 32 MB hard, 8 MB for
 * 60 s soft), Redis drops that subscriber, and the answer is lost and asked for again. So at most
 * `window` parts of an answer are unacknowledged at any time: the requester acks each part it has
 * merged, and each ack lets the next part go. The answer flows at the receiver's pace.
 *
 * An answer whose acks stop (the requester died, or a part was lost) simply stalls: the requester
 * asks again after its timeout (a new request replaces the old answer), and a requester that goes
 * down is forgotten.
 */
import type { ReplicaRef, TransferPart } from '../core/index.js';
import type { TransferPartMessage } from '../protocol/messages.js';

interface Answer {
  readonly requester: ReplicaRef;
  readonly requestId: string;
  readonly parts: readonly TransferPart[];
  readonly from: ReplicaRef;
  sent: number;
  acked: number;
}

export class TransferAnswers {
  /** By requester name: one answer per requester at a time. */
  private readonly answers = new Map<string, Answer>();

  constructor(
    private readonly window: number,
    private readonly send: (to: ReplicaRef, message: TransferPartMessage) => void,
  ) {}

  /** Starts answering `requestId` with `parts` (at least one), replacing an older answer. */
  start(
    requester: ReplicaRef,
    requestId: string,
    parts: readonly TransferPart[],
    from: ReplicaRef,
  ): void {
    const answer: Answer = { requester, requestId, parts, from, sent: 0, acked: 0 };
    this.answers.set(requester.name, answer);
    this.pump(answer);
  }

  /** The requester has `received` parts of `requestId`. */
  acknowledged(requester: ReplicaRef, requestId: string, received: number): void {
    const answer = this.answers.get(requester.name);
    if (answer?.requestId !== requestId) return;
    answer.acked = Math.max(answer.acked, Math.min(received, answer.sent));
    if (answer.acked >= answer.parts.length) this.answers.delete(requester.name);
    else this.pump(answer);
  }

  forget(requester: ReplicaRef): void {
    this.answers.delete(requester.name);
  }

  clear(): void {
    this.answers.clear();
  }

  /** Answers still in flight (for tests and metrics). */
  get inFlight(): number {
    return this.answers.size;
  }

  private pump(answer: Answer): void {
    const total = answer.parts.length;
    while (answer.sent < total && answer.sent - answer.acked < this.window) {
      const index = answer.sent++;
      const { from, requestId } = answer;
      this.send(answer.requester, {
        type: 'transfer-part',
        from,
        requestId,
        index,
        total,
        part: answer.parts[index],
      });
    }
  }
}
