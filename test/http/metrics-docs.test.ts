/**
 * docs/usage.md "Metrics" lists exactly the `presence_*` metrics a running node exposes on
 * `/metrics`, with their label names and values: a metric added without a line there, or a line
 * naming a metric (or label) that does not exist, fails here. The node runs with webhooks, so
 * every optional metric is registered.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { createPresenceServer, type PresenceServer } from '../../src/index.js';

const ADMIN = 'metrics-docs-admin-token-0123456789';

/** name → label name → values, from the docs' table. */
type Catalogue = Map<string, Map<string, Set<string>>>;

function documented(): Catalogue {
  const text = readFileSync(new URL('../../docs/usage.md', import.meta.url), 'utf8');
  const section = text.split(/^## Metrics$/m)[1]?.split(/^## /m)[0] ?? '';
  const catalogue: Catalogue = new Map();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`(presence_[a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    const labels = new Map<string, Set<string>>();
    const [labelName, ...values] = [...(cells[3] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    if (labelName !== undefined) labels.set(labelName, new Set(values));
    catalogue.set(name, labels);
  }
  return catalogue;
}

/** The same, read from a `/metrics` scrape (histograms by their base name, without `le`). */
function exposed(text: string): Catalogue {
  const catalogue: Catalogue = new Map();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (presence_\S+) /.exec(line);
    if (type) {
      catalogue.set(type[1]!, new Map());
      continue;
    }
    const sample = /^(presence_[a-z_]+?)(?:_bucket|_sum|_count)?(?:\{(.*)\})? /.exec(line);
    const labels = sample && catalogue.get(sample[1]!);
    if (!labels || !sample?.[2]) continue;
    for (const pair of sample[2].split(',')) {
      const [key, quoted] = pair.split('=');
      if (key === undefined || quoted === undefined || key === 'le') continue;
      const values = labels.get(key) ?? new Set<string>();
      values.add(JSON.parse(quoted) as string);
      labels.set(key, values);
    }
  }
  return catalogue;
}

const plain = (catalogue: Catalogue) =>
  Object.fromEntries(
    [...catalogue].map(([name, labels]) => [
      name,
      Object.fromEntries([...labels].map(([key, values]) => [key, [...values].sort()])),
    ]),
  );

describe('the metrics of docs/usage.md', () => {
  let presence: PresenceServer;
  let server: ReturnType<typeof createServer>;
  let url: string;

  beforeAll(async () => {
    presence = createPresenceServer({
      graph: new GraphologyFriendsGraph(),
      jwtSecret: 'metrics-docs-secret-of-32-bytes!!!!',
      webhooks: { url: 'http://127.0.0.1:9/hooks', secret: 'metrics-docs-webhook-secret-32-bytes' },
    });
    const routes = presence.http({ adminToken: ADMIN });
    server = createServer((req, res) => routes(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await presence.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('are the ones a running node exposes, labels included, both ways', async () => {
    const response = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(response.status).toBe(200);
    const live = exposed(await response.text());
    expect(live.size).toBeGreaterThan(40);
    expect(plain(documented())).toEqual(plain(live));
  });
});
