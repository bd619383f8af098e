import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildImportGraphs,
  findCycles,
  folderGraph,
  folderOf,
  type ImportGraph,
  type ImportRule,
  ruleViolations,
} from './import-graph.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `src/last-seen/<kind>-last-seen-*.ts` → `<kind>` (memory, redis, postgres); else undefined. */
function lastSeenAdapterOf(module: string): string | undefined {
  return /^src\/last-seen\/(memory|redis|postgres)-last-seen-/.exec(module)?.[1];
}

/** `graph-adapters/<name>/...` → `<name>`; undefined for files directly in graph-adapters/. */
function graphAdapterOf(module: string): string | undefined {
  const [top, folder, ...rest] = module.split('/');
  return top === 'graph-adapters' && rest.length > 0 ? folder : undefined;
}

/**
 * The folders from top to bottom, as docs/architecture.md draws them: a folder imports only
 * folders on a lower line, so folders on one line never import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['src/index.ts'],
  ['src/cli'],
  [
    'graph-adapters/graphology',
    'graph-adapters/http',
    'graph-adapters/postgres',
    'graph-adapters/redis',
  ],
  ['graph-adapters/shared'],
  ['src/server'],
  ['src/http'],
  ['src/delivery'],
  // The gateway: its composition, then its rooms (a connection's session over the outbound path
  // and the edge's guards, which know nothing of each other).
  ['src/gateway'],
  ['src/gateway/session'],
  ['src/gateway/outbound', 'src/gateway/edge'],
  ['src/query'],
  ['src/user-online'],
  // Last seen: the stores (the CLI opens one; the rest know only the port), reads and writes.
  ['src/last-seen'],
  ['src/counts'],
  // The one path of a tracker change: the server creates it; its consumers above know its types.
  ['src/change-router'],
  ['src/runtime'],
  // The options schema: what each option is, read by the runtime, the gateway, the server, the CLI.
  ['src/options'],
  ['src/protocol'],
  ['src/webhooks'],
  ['src/transports'],
  // The client SDK imports the domain's wire types (type-only, so the browser bundle stays small).
  ['src/client'],
  // The ports, and the small helpers over them (the graph lookup, the rate-limited log, deadlines).
  ['src/ports'],
  ['src/domain'],
  ['src/core', 'src/errors.ts', 'src/version.ts', 'src/demo'],
];

function layerOf(module: string): number {
  const folder = folderOf(module);
  return LAYERS.findIndex((line) => line.includes(folder));
}

const PORT_DEPENDENCIES = ['src/ports/', 'src/core/', 'src/domain/', 'src/errors.ts'];

const layerRules: readonly ImportRule[] = [
  {
    name: 'every folder has its line in LAYERS',
    forbids: (from, to) => layerOf(from) === -1 || layerOf(to) === -1,
  },
  {
    name: 'a folder imports only folders on lower lines of LAYERS (docs/architecture.md)',
    forbids: (from, to) => folderOf(from) !== folderOf(to) && layerOf(to) <= layerOf(from),
  },
];

const rules: readonly ImportRule[] = [
  {
    name: 'src/core imports only src/core (the core stays pure)',
    forbids: (from, to) => from.startsWith('src/core/') && !to.startsWith('src/core/'),
  },
  {
    name: 'src/ports imports only ports, core, domain and errors (never an adapter)',
    forbids: (from, to) =>
      from.startsWith('src/ports/') && !PORT_DEPENDENCIES.some((allowed) => to.startsWith(allowed)),
  },
  {
    name: 'a graph adapter imports no other graph adapter (graph-adapters/shared excepted)',
    forbids: (from, to) => {
      const source = graphAdapterOf(from);
      const target = graphAdapterOf(to);
      return (
        source !== undefined && target !== undefined && target !== source && target !== 'shared'
      );
    },
  },
  {
    name: 'a last-seen adapter imports no other last-seen adapter',
    forbids: (from, to) => {
      const source = lastSeenAdapterOf(from);
      const target = lastSeenAdapterOf(to);
      return source !== undefined && target !== undefined && target !== source;
    },
  },
];

function formatCycles(cycles: readonly string[][]): string {
  return cycles.map((cycle) => cycle.join(' → ')).join('\n');
}

/*
 * Cycles between files count value imports only: `import type` is erased from the build
 * (verbatimModuleSyntax), so it cannot reorder module initialisation, and two types that
 * refer to each other (an entry and its replica slot) are one recursive structure, not a tangle.
 * Cycles between folders count every import, types included: that is the design's shape.
 */
describe('import structure of src/ and graph-adapters/', () => {
  const graphs = buildImportGraphs(root, ['src', 'graph-adapters']);
  const folders = folderGraph(graphs.all);

  it('reads the modules and their relative imports', () => {
    expect(graphs.all.get('src/core/index.ts')?.length).toBeGreaterThan(0);
    expect(graphs.all.get('graph-adapters/redis/redis-friends-graph.ts')).toContain(
      'src/ports/friends-graph.ts',
    );
  });

  it('has no cycle of value imports between modules', () => {
    expect(formatCycles(findCycles(graphs.values))).toBe('');
  });

  it('has no cycle between folders, types included', () => {
    expect(formatCycles(findCycles(folders))).toBe('');
  });

  it('keeps the folder rules', () => {
    expect(ruleViolations(graphs.all, rules)).toEqual([]);
  });

  it('keeps the layers of docs/architecture.md', () => {
    expect(ruleViolations(graphs.all, layerRules)).toEqual([]);
  });
});

describe('the import check itself', () => {
  const fixture = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

  it('finds a cycle introduced on purpose and prints its path', () => {
    const graph = fixture({
      'src/counts/room-counts.ts': ['src/gateway/topics.ts'],
      'src/gateway/topics.ts': ['src/gateway/gateway-counts.ts'],
      'src/gateway/gateway-counts.ts': ['src/counts/room-counts.ts', 'src/domain/user-id.ts'],
      'src/domain/user-id.ts': [],
    });
    expect(formatCycles(findCycles(graph))).toBe(
      'src/counts/room-counts.ts → src/gateway/topics.ts → src/gateway/gateway-counts.ts → src/counts/room-counts.ts',
    );
  });

  it('finds a cycle between folders', () => {
    const graph = fixture({
      'src/counts/presence-counts.ts': ['src/gateway/topics.ts'],
      'src/gateway/gateway-counts.ts': ['src/counts/presence-counts.ts'],
      'src/gateway/topics.ts': [],
    });
    expect(findCycles(graph)).toEqual([]);
    expect(formatCycles(findCycles(folderGraph(graph)))).toBe(
      'src/counts → src/gateway → src/counts',
    );
  });

  it('finds a module importing itself and passes an acyclic graph', () => {
    expect(findCycles(fixture({ 'a.ts': ['a.ts'] }))).toEqual([['a.ts', 'a.ts']]);
    expect(findCycles(fixture({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([]);
  });

  it('reports an import up the layers, and a folder without a layer', () => {
    const graph = fixture({
      'src/domain/topics.ts': ['src/gateway/fan-out.ts'],
      'src/newfolder/x.ts': ['src/core/entry.ts'],
    });
    expect(ruleViolations(graph, layerRules)).toEqual([
      'a folder imports only folders on lower lines of LAYERS (docs/architecture.md): src/domain/topics.ts → src/gateway/fan-out.ts',
      'every folder has its line in LAYERS: src/newfolder/x.ts → src/core/entry.ts',
    ]);
  });

  it('reports each folder rule broken', () => {
    const graph = fixture({
      'src/core/entry.ts': ['src/ports/clock.ts'],
      'src/ports/node-bus.ts': ['src/transports/bus-wire.ts'],
      'graph-adapters/redis/a.ts': ['graph-adapters/postgres/b.ts', 'graph-adapters/shared/c.ts'],
      'src/last-seen/redis-last-seen-store.ts': [
        'src/last-seen/postgres-last-seen-schema.ts',
        'src/last-seen/last-seen-input.ts',
      ],
    });
    expect(ruleViolations(graph, rules)).toEqual([
      'a graph adapter imports no other graph adapter (graph-adapters/shared excepted): graph-adapters/redis/a.ts → graph-adapters/postgres/b.ts',
      'a last-seen adapter imports no other last-seen adapter: src/last-seen/redis-last-seen-store.ts → src/last-seen/postgres-last-seen-schema.ts',
      'src/core imports only src/core (the core stays pure): src/core/entry.ts → src/ports/clock.ts',
      'src/ports imports only ports, core, domain and errors (never an adapter): src/ports/node-bus.ts → src/transports/bus-wire.ts',
    ]);
  });
});
