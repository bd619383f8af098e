/**
 * The driver's handle on the webhook receiver process (load/webhooks/receiver-server.ts): starts
 * it, gives the nodes' `--webhook-url`, reads its tally over `GET /stats`, stops it.
 */
import { waitFor } from '../../test/support/wait-for.js';
import { type NodeProcess, spawnNode } from '../cluster/node-process.js';
import type { WebhookTallySnapshot } from './webhook-tally.js';

export class WebhookReceiver {
  private constructor(
    private readonly receiver: NodeProcess,
    private readonly baseUrl: string,
    /** The signing secret the nodes get (PRESENCE_WEBHOOK_SECRET). */
    readonly secret: string,
  ) {}

  static async start(secret: string, nodeArgs: readonly string[] = []): Promise<WebhookReceiver> {
    const child = spawnNode(
      ['--port', '0'],
      { LOAD_WEBHOOK_SECRET: secret },
      nodeArgs,
      'load/webhooks/receiver-server.ts',
    );
    try {
      await waitFor(() => child.url() !== undefined || child.child.exitCode !== null, {
        timeoutMs: 60_000,
        intervalMs: 50,
        description: 'the webhook receiver listening',
      });
    } catch (err) {
      child.child.kill('SIGKILL');
      throw err;
    }
    const url = child.url();
    if (url === undefined) {
      throw new Error(`the webhook receiver exited before listening:\n${child.output()}`);
    }
    return new WebhookReceiver(child, url, secret);
  }

  /** What the nodes POST to. */
  get hookUrl(): string {
    return `${this.baseUrl}/hook`;
  }

  get pid(): number {
    return this.receiver.child.pid!;
  }

  /** The receiver's tally; `countsOnly`: with empty arrival lists (cheaper, for polling). */
  async stats(countsOnly = false): Promise<WebhookTallySnapshot> {
    const response = await fetch(`${this.baseUrl}/stats${countsOnly ? '?counts' : ''}`, {
      signal: AbortSignal.timeout(10_000),
    });
    return (await response.json()) as WebhookTallySnapshot;
  }

  async stop(): Promise<void> {
    const { child } = this.receiver;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.receiver.exited;
    clearTimeout(timer);
  }
}
