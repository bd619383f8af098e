/**
 * Nothing outside src/core and src/runtime can write to the tracker's state: the core's mutable
 * PresenceState is imported nowhere else, and a TrackerReplica exposes no path to it (its `view`
 * is read-only). Writes go through the PresenceTracker port (src/ports/presence-tracker.ts), so
 * every change is emitted as a diff and every meta checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PresenceState } from '../../src/core/index.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the state may be held: the core defines it, the runtime drives it. */
const OWNERS = ['src/core/', 'src/runtime/'];
/** The tracker benchmark measures the core itself, with no replica around it. */
const CORE_BENCHMARKS = ['load/tracker-bench.ts'];
const STATE_MODULES = ['src/core/index.ts', 'src/core/presence-state.ts'];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `file: import` for every import of PresenceState (or all of a module exporting it) in `text`. */
function stateImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier)) continue;
    if (!specifier.text.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(resolve(root, file)), specifier.text))
      .split(sep)
      .join('/')
      .replace(/\.js$/, '.ts');
    if (!STATE_MODULES.includes(target)) continue;
    const bindings = ts.isImportDeclaration(statement)
      ? statement.importClause?.namedBindings
      : statement.exportClause;
    const names =
      bindings !== undefined && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings))
        ? bindings.elements.map((element) => (element.propertyName ?? element.name).text)
        : ['*'];
    for (const name of names) {
      if (name === 'PresenceState' || name === '*') found.push(`${file}: ${name} from ${target}`);
    }
  }
  return found;
}

describe('the tracker state is reachable only through the PresenceTracker port', () => {
  it('is imported nowhere outside src/core and src/runtime (src, graph-adapters, load)', () => {
    const files = ['src', 'graph-adapters', 'load']
      .flatMap((folder) => sourceFiles(join(root, folder)))
      .map((path) => relative(root, path).split(sep).join('/'))
      .filter((file) => !OWNERS.some((owner) => file.startsWith(owner)))
      .filter((file) => !CORE_BENCHMARKS.includes(file));
    expect(files.length).toBeGreaterThan(100);
    const imports = files.flatMap((file) =>
      stateImports(file, readFileSync(join(root, file), 'utf8')),
    );
    expect(imports).toEqual([]);
  });

  it('finds such an import, a type import and a namespace import', () => {
    const text = [
      "import { PresenceState } from '../core/index.js';",
      "import type { PresenceState as S } from '../core/presence-state.js';",
      "import * as core from '../core/index.js';",
      "import type { Presence } from '../core/index.js';",
      "import type { PresenceState } from '../client/types.js';",
    ].join('\n');
    expect(stateImports('src/gateway/x.ts', text)).toEqual([
      'src/gateway/x.ts: PresenceState from src/core/index.ts',
      'src/gateway/x.ts: PresenceState from src/core/presence-state.ts',
      'src/gateway/x.ts: * from src/core/index.ts',
    ]);
  });

  it('is held by no property of a TrackerReplica, whose view has reads only', () => {
    const replica = new TrackerReplica({
      name: 'a',
      transport: createInMemoryBus().createTransport('a'),
    });
    expect('state' in replica).toBe(false);
    const held = Object.entries(replica).filter(([, value]) => value instanceof PresenceState);
    expect(held.map(([name]) => name)).toEqual([]);
    const { view } = replica;
    expect(view).not.toBeInstanceOf(PresenceState);
    expect(Object.isFrozen(view)).toBe(true);
    for (const write of ['track', 'untrack', 'untrackConnection', 'update', 'mergeDelta']) {
      expect(write in view).toBe(false);
    }
    const entry = replica.track('user:alice', 'alice', 'c1', { status: 'online' });
    expect(entry.ok).toBe(true);
    expect(view.get('user:alice', 'alice')).toHaveLength(1);
    expect(view.size).toBe(1);
  });
});
