/**
 * A real webhook receiver for tests: node:http on 127.0.0.1, a free port. It records every
 * request as it arrives and answers as the test says: a status (with headers), or never.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookEvent } from '../../../src/webhooks/webhook-event.js';

export interface ReceivedRequest {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly contentType: string | undefined;
  readonly signature: string | undefined;
  /** Every header, names in lower case (a repeated header's values joined by ", "). */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly event: WebhookEvent;
}

/** A status, a status with headers, or 'hang': never answer (until the client gives up). */
export type Answer = number | { status: number; headers?: Record<string, string> } | 'hang';

export interface WebhookReceiver {
  readonly url: string;
  /** Every request, in arrival order. */
  readonly received: ReceivedRequest[];
  /** The answer each request got, by index in `received`. */
  readonly answers: Answer[];
  /** Requests left unanswered and still open. */
  readonly hanging: number;
  /** Requests the client closed before an answer (aborted). */
  readonly aborted: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  answer: (request: ReceivedRequest, index: number) => Answer,
): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const answers: Answer[] = [];
  let hanging = 0;
  let aborted = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = {
        method: req.method,
        path: req.url,
        contentType: req.headers['content-type'],
        signature: req.headers['x-presence-signature'] as string | undefined,
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([name, value]) => [
            name,
            Array.isArray(value) ? value.join(', ') : String(value),
          ]),
        ),
        body,
        event: JSON.parse(body) as WebhookEvent,
      };
      const index = received.push(request) - 1;
      const given = answer(request, index);
      answers[index] = given;
      if (given === 'hang') {
        hanging += 1;
        res.on('close', () => {
          hanging -= 1;
          aborted += 1;
        });
        return;
      }
      const { status, headers = {} } = typeof given === 'number' ? { status: given } : given;
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/presence`,
    received,
    answers,
    get hanging() {
      return hanging;
    },
    get aborted() {
      return aborted;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
