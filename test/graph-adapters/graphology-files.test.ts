/** Graph files (JSON and CSV, graph-adapters/README.md) and the built-in demo graph. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDemoGraph,
  DEMO_USERS,
  GraphologyFriendsGraph,
  graphFromCsvText,
  loadGraphFile,
} from '../../graph-adapters/graphology/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'graph-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function adapterFor(name: string, content: string) {
  const path = join(dir, name);
  await writeFile(path, content);
  return new GraphologyFriendsGraph({ graph: await loadGraphFile(path) });
}

describe('graph files', () => {
  it('loads an undirected JSON graph: every edge goes both ways', async () => {
    const adapter = await adapterFor(
      'undirected.json',
      JSON.stringify({
        options: { type: 'undirected' },
        nodes: [{ key: 'alice' }, { key: 'bob' }, { key: 'loner' }],
        edges: [{ source: 'alice', target: 'bob' }],
      }),
    );
    expect(await adapter.visibleTo('bob')).toEqual(['alice']);
    expect(await adapter.visibleTo('loner')).toEqual([]);
    await adapter.addEdge('carol', 'alice', { directed: true });
    expect(await adapter.visibleTo('carol')).toEqual(['alice']);
  });

  it('loads a directed or mixed JSON graph following graphology edge semantics', async () => {
    const adapter = await adapterFor(
      'mixed.json',
      JSON.stringify({
        options: { type: 'mixed' },
        edges: [
          { source: 'judy', target: 'alice' },
          { source: 'alice', target: 'bob', undirected: true },
          { source: 'self', target: 'self' },
        ],
      }),
    );
    expect(await adapter.visibleTo('judy')).toEqual(['alice']);
    expect(await adapter.visibleTo('alice')).toEqual(['bob']);
    expect(await adapter.visibleTo('self')).toEqual([]);
  });

  it('loads CSV pairs as friendships: blank lines, CRLF, quotes and spaces', async () => {
    const adapter = await adapterFor(
      'friends.csv',
      'alice,bob\r\n\r\n  carol , dave\n"x,y","Mary ""M"" Ann"\nemoji 🚀,__proto__\n',
    );
    expect(await adapter.visibleTo('bob')).toEqual(['alice']);
    expect(await adapter.visibleTo('dave')).toEqual(['carol']);
    expect(await adapter.visibleTo('x,y')).toEqual(['Mary "M" Ann']);
    expect(await adapter.visibleTo('__proto__')).toEqual(['emoji 🚀']);
  });

  it.each([
    ['not-json.json', '{"edges": ['],
    ['no-edges-array.json', '{"edges": {}}'],
    ['bad-edge.json', '{"edges": [{"source": "a"}]}'],
    ['bad-type.json', '{"options": {"type": "weird"}, "edges": []}'],
    ['three-fields.csv', 'a,b\na,b,c\n'],
    ['one-field.csv', 'alone\n'],
    ['open-quote.csv', '"a,b\n'],
    ['graph.txt', 'a,b'],
  ])('rejects %s with PRESENCE_GRAPH_INVALID_DATA', async (name, content) => {
    const path = join(dir, name);
    await writeFile(path, content);
    await expect(loadGraphFile(path)).rejects.toMatchObject({
      name: 'GraphProviderError',
      code: 'PRESENCE_GRAPH_INVALID_DATA',
    });
  });

  it('names the file and line of a CSV error', () => {
    expect(() => graphFromCsvText('a,b\nbroken\n', 'friends.csv')).toThrow(/friends\.csv:2/);
  });

  it('reports a missing file as PRESENCE_GRAPH_UNAVAILABLE', async () => {
    for (const name of ['missing.json', 'missing.csv']) {
      await expect(loadGraphFile(join(dir, name))).rejects.toMatchObject({
        code: 'PRESENCE_GRAPH_UNAVAILABLE',
      });
    }
  });
});

describe('demo graph', () => {
  it('has a dozen users, friends and non-friends, and one-way follows', async () => {
    const adapter = new GraphologyFriendsGraph({ graph: createDemoGraph() });
    expect(DEMO_USERS).toHaveLength(12);
    expect([...(await adapter.visibleTo('alice'))].sort()).toEqual(['bob', 'carol']);
    expect(await adapter.visibleTo('alice')).not.toContain('erin');
    expect(await adapter.visibleTo('judy')).toEqual(['alice']);
    expect(await adapter.visibleTo('oscar')).toEqual([]);
  });
});
