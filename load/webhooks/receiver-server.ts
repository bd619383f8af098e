/**
 * The webhook receiver of `npm run load -- connect --webhooks`: its own process, so its CPU is
 * measured apart from the nodes and the clients. As cheap as a receiver can be: `POST /hook`
 * is answered 200 as soon as its body is in, then tallied (load/webhooks/webhook-tally.ts); the
 * signature of one request in SIGNATURE_SAMPLE is checked. `GET /stats` answers the tally
 * (`GET /stats?counts` without the arrival times).
 *
 *   LOAD_WEBHOOK_SECRET=<secret> node --import tsx load/webhooks/receiver-server.ts --port 0
 *
 * Prints `listening on http://127.0.0.1:<port>` like a graph-presence node.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { verifyPresenceWebhookSignature } from '../../src/webhooks/webhook-signature.js';
import { WebhookTally } from './webhook-tally.js';

const SIGNATURE_SAMPLE = 100;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const secret = process.env['LOAD_WEBHOOK_SECRET'];
if (!secret) {
  process.stderr.write('receiver-server: LOAD_WEBHOOK_SECRET is required\n');
  process.exit(2);
}

const tally = new WebhookTally();
let requests = 0;

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/hook') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200).end();
      const arrivalMs = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      if (requests % SIGNATURE_SAMPLE === 0) {
        const header = req.headers['x-presence-signature'];
        const check = verifyPresenceWebhookSignature(
          secret,
          typeof header === 'string' ? header : undefined,
          body,
        );
        tally.signatureChecked(check.ok);
      }
      requests += 1;
      tally.record(body, arrivalMs);
    });
    return;
  }
  if (req.method === 'GET' && (req.url === '/stats' || req.url === '/stats?counts')) {
    // `?counts`: without the arrival times, for the driver's polling while it waits.
    const snapshot = tally.snapshot();
    const body =
      req.url === '/stats'
        ? snapshot
        : { ...snapshot, onlineArrivals: [], offlineArrivals: [], onlineUsers: [] };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return;
  }
  res.writeHead(404).end();
});

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://${values.host}:${port}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
