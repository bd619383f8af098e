/**
 * The node:http handler for the graph-change webhook: POST, a signed JSON body
 * `{ "changes": [ <change>, ... ] }`, answered 204 when accepted. A delivery is accepted once:
 * the same signed request again is 409. Every rejection is a JSON `{ error: { code, message } }`
 * with a 4xx/503 status; nothing the caller sends can throw here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FriendsGraphChange } from '../../src/ports/friends-graph.js';
import { parseChange } from '../shared/edge-change-json.js';
import { DEFAULT_REPLAY_MEMORY, WebhookReplayGuard } from './webhook-replay-guard.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  readSignatureHeader,
  SIGNATURE_HEADER,
  verifyWebhookSignature,
} from './webhook-signature.js';

export const MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024;

export type WebhookRequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface WebhookHandlerOptions {
  secret: string;
  /** Called with the changes of one accepted request, in body order. */
  onChanges(changes: FriendsGraphChange[]): void;
  isClosed(): boolean;
}

export function createWebhookHandler(options: WebhookHandlerOptions): WebhookRequestListener {
  const replays = new WebhookReplayGuard({
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
    maxEntries: DEFAULT_REPLAY_MEMORY,
  });
  return (request, response) => {
    if (request.method !== 'POST') {
      reply(response, 405, 'PRESENCE_INVALID_INPUT', 'use POST');
      return;
    }
    readBody(request).then(
      (body) => handleBody(options, replays, request, response, body),
      () =>
        reply(response, 413, 'PRESENCE_INVALID_INPUT', `body over ${MAX_WEBHOOK_BODY_BYTES} bytes`),
    );
  };
}

function handleBody(
  options: WebhookHandlerOptions,
  replays: WebhookReplayGuard,
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
): void {
  if (options.isClosed()) {
    reply(response, 503, 'PRESENCE_GRAPH_CLOSED', 'this friends graph is closed');
    return;
  }
  const raw = request.headers[SIGNATURE_HEADER];
  const header = Array.isArray(raw) ? raw[0] : raw;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const check = verifyWebhookSignature(options.secret, header, body, nowSeconds);
  const fields = header === undefined ? undefined : readSignatureHeader(header);
  if (!check.ok || !fields) {
    reply(response, 401, 'PRESENCE_UNAUTHORIZED', check.ok ? 'malformed signature' : check.reason);
    return;
  }
  const parsed = parseChanges(body);
  if (typeof parsed === 'string') {
    reply(response, 400, 'PRESENCE_GRAPH_INVALID_DATA', parsed);
    return;
  }
  const admission = replays.admit(fields.signature, fields.timestamp, nowSeconds);
  if (admission === 'replay') {
    reply(
      response,
      409,
      'PRESENCE_GRAPH_WEBHOOK_REPLAY',
      'this delivery was already accepted; to send the same changes again, sign a new body (e.g. with a new "id")',
    );
    return;
  }
  if (admission === 'full') {
    reply(
      response,
      429,
      'PRESENCE_RATE_LIMITED',
      `over ${DEFAULT_REPLAY_MEMORY} deliveries within ${DEFAULT_TOLERANCE_SECONDS} s; retry later or batch changes`,
    );
    return;
  }
  options.onChanges(parsed);
  response.writeHead(204).end();
}

/** All changes, or the reason the body was rejected (then none of it is applied). */
function parseChanges(body: string): FriendsGraphChange[] | string {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return 'body is not valid JSON';
  }
  const list = (data as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(list)) return 'expected { "changes": [ ... ] }';
  const changes: FriendsGraphChange[] = [];
  for (const [index, item] of list.entries()) {
    const result = parseChange(item);
    if (!result.ok) return `changes[${index}]: ${result.reason}`;
    changes.push(result.change);
  }
  return changes;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_WEBHOOK_BODY_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new Error('too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, code: string, message: string): void {
  if (response.headersSent) return;
  response
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { code, message: `graph webhook: ${message}` } }));
}
