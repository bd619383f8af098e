/** Choosing an adapter from the server's `--graph` spec. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFriendsGraph, parseGraphSpec } from '../../graph-adapters/index.js';

describe('parseGraphSpec', () => {
  it.each([
    [undefined, { kind: 'demo' }],
    ['graphology:friends.csv', { kind: 'graphology', file: 'friends.csv' }],
    ['redis:redis://127.0.0.1:6379', { kind: 'redis', url: 'redis://127.0.0.1:6379' }],
    ['redis://127.0.0.1:6379', { kind: 'redis', url: 'redis://127.0.0.1:6379' }],
    ['postgres:postgres://u@h/db', { kind: 'postgres', url: 'postgres://u@h/db' }],
    ['http:https://api.example.com/p', { kind: 'http', url: 'https://api.example.com/p' }],
    ['https://api.example.com/p', { kind: 'http', url: 'https://api.example.com/p' }],
  ])('reads %s', (spec, expected) => {
    expect(parseGraphSpec(spec)).toEqual(expected);
  });

  it.each(['mongo:x', 'graphology:', 'friends.json'])('rejects %s naming --graph', (spec) => {
    expect(() => parseGraphSpec(spec)).toThrow(
      expect.objectContaining({
        code: 'PRESENCE_INVALID_OPTION',
        message: expect.stringContaining('--graph'),
      }),
    );
  });
});

describe('openFriendsGraph', () => {
  it('opens the demo graph by default and a graphology file by spec', async () => {
    const demo = await openFriendsGraph(undefined);
    expect(await demo.visibleTo('judy')).toEqual(['alice']);
    await demo.close();
    const dir = await mkdtemp(join(tmpdir(), 'graph-spec-'));
    await writeFile(join(dir, 'g.csv'), 'x,y\n');
    const fromFile = await openFriendsGraph(`graphology:${join(dir, 'g.csv')}`);
    expect(await fromFile.visibleTo('y')).toEqual(['x']);
    await fromFile.close();
    await rm(dir, { recursive: true });
  });

  it('opens Redis from a URL spec', async () => {
    const graph = await openFriendsGraph('redis:redis://127.0.0.1:6379');
    expect(await graph.visibleTo(`nobody-${Date.now()}`)).toEqual([]);
    await graph.close();
  });
});
