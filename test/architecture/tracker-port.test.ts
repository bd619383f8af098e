/**
 * Nothing outside src/core and src/runtime can write to the tracker's state: the core's mutable
 * PresenceState is imported nowhere else, and a TrackerReplica exposes no path to it (its `view`
 * is read-only, so is its `health`). Writes go through the PresenceTracker port
 * (src/ports/presence-tracker.ts), so every change is reported and every meta checked.
 *
 * And every module uses the tracker through that port: the concrete replica
 * (src/runtime/tracker-replica.ts) is imported only by the runtime and the composition root, and
 * nothing but the change router (src/change-router/) listens to the replica's events.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PresenceState, ReplicaHealth } from '../../src/core/index.js';
import { TrackerReplica } from '../../src/runtime/tracker-replica.js';
import { createInMemoryBus } from '../../src/transports/in-memory-bus.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Where the state may be held: the core defines it, the runtime drives it. */
const OWNERS = ['src/core/', 'src/runtime/'];
/** The tracker benchmark measures the core itself, with no replica around it. */
const CORE_BENCHMARKS = ['load/tracker-bench.ts'];
const STATE_MODULES = ['src/core/index.ts', 'src/core/presence-state.ts'];

/** The concrete replica, and who may import it: the runtime and the composition root. */
const REPLICA_MODULE = 'src/runtime/tracker-replica.ts';
const REPLICA_IMPORTERS = ['src/runtime/', 'src/server/create-presence-server.ts'];
/** Who may listen to the replica's events: the runtime (which emits them) and the router. */
const REPLICA_LISTENERS = ['src/runtime/', 'src/change-router/'];
/** The replica's events (TrackerReplicaEvents). */
const REPLICA_EVENTS = new Set(['diff', 'replica', 'link']);
/** EventEmitter methods that add, remove, read or fire listeners. */
const LISTENER_METHODS = new Set([
  'on',
  'once',
  'addListener',
  'prependListener',
  'prependOnceListener',
  'off',
  'removeListener',
  'removeAllListeners',
  'listeners',
  'rawListeners',
  'listenerCount',
  'emit',
]);
/** Listener methods no module needs but to jump the router's order. */
const ORDER_JUMPERS = new Set(['prependListener', 'prependOnceListener']);
/** A receiver named like the tracker (`replica`, `this.replica`, `options.tracker`, ...). */
const TRACKER_RECEIVER = /(^|\.)(\w*replica|\w*tracker)$/i;

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

/** Every module of src and graph-adapters, as a repository path with '/'. */
function checkedFiles(): string[] {
  return ['src', 'graph-adapters']
    .flatMap((folder) => sourceFiles(join(root, folder)))
    .map((path) => relative(root, path).split(sep).join('/'));
}

/** What a relative module specifier of `file` names, as a repository path ending in .ts. */
function resolveSpecifier(file: string, specifier: string): string {
  return relative(root, resolve(dirname(resolve(root, file)), specifier))
    .split(sep)
    .join('/')
    .replace(/\.js$/, '.ts');
}

/**
 * `file: target` for every reference of `file` to the concrete replica module: imports and
 * re-exports (type-only ones too), `import('...')` types and dynamic imports.
 */
function replicaImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const check = (literal: ts.Node | undefined) => {
    if (literal === undefined || !ts.isStringLiteralLike(literal)) return;
    if (!literal.text.startsWith('.')) return;
    const target = resolveSpecifier(file, literal.text);
    if (target === REPLICA_MODULE) found.push(`${file}: imports ${target}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) check(node.moduleSpecifier);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      check(node.argument.literal);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0
    ) {
      check(node.arguments[0]);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      check(node.moduleReference.expression);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * `file:line: call` for every listener call that may be on the replica's emitter: a listener
 * method called with one of its events ('diff', 'replica', 'link'), any listener method called on
 * something named like the tracker, and any prependListener (it exists only to jump an order).
 */
function replicaListeners(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const access = ts.isPropertyAccessExpression(callee)
        ? { receiver: callee.expression, method: callee.name.text }
        : ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)
          ? { receiver: callee.expression, method: callee.argumentExpression.text }
          : undefined;
      if (access !== undefined && LISTENER_METHODS.has(access.method)) {
        const [first] = node.arguments;
        const event = first !== undefined && ts.isStringLiteralLike(first) ? first.text : undefined;
        const receiver = access.receiver.getText(source).replace(/\s+/g, '');
        if (
          ORDER_JUMPERS.has(access.method) ||
          (event !== undefined && REPLICA_EVENTS.has(event)) ||
          TRACKER_RECEIVER.test(receiver)
        ) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          found.push(`${file}:${line + 1}: ${receiver}.${access.method}(${event ?? '…'})`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('every module uses the tracker through its port, and its changes through the router', () => {
  const files = checkedFiles();
  const text = (file: string) => readFileSync(join(root, file), 'utf8');

  it('imports the concrete replica only in src/runtime and the composition root', () => {
    expect(files.length).toBeGreaterThan(100);
    const outside = files.filter((file) => !REPLICA_IMPORTERS.some((ok) => file.startsWith(ok)));
    expect(outside.flatMap((file) => replicaImports(file, text(file)))).toEqual([]);
    // The check reads the files that do import it.
    expect(
      replicaImports(
        'src/server/create-presence-server.ts',
        text('src/server/create-presence-server.ts'),
      ),
    ).toHaveLength(1);
  });

  it('listens to the replica nowhere but in the change router', () => {
    const outside = files.filter((file) => !REPLICA_LISTENERS.some((ok) => file.startsWith(ok)));
    expect(outside.flatMap((file) => replicaListeners(file, text(file)))).toEqual([]);
    // The check sees the router's own listeners.
    const router = 'src/change-router/change-router.ts';
    expect(replicaListeners(router, text(router)).length).toBeGreaterThanOrEqual(4);
  });

  it('finds a value, type, re-export, import() type and dynamic import of the replica', () => {
    const fixture = [
      "import { TrackerReplica } from '../runtime/tracker-replica.js';",
      "import type { ReplicaEvent } from '../runtime/tracker-replica.js';",
      "export { replicaStartedAt } from '../runtime/tracker-replica.js';",
      "type R = import('../runtime/tracker-replica.js').TrackerReplica;",
      "const lazy = () => import('../runtime/tracker-replica.js');",
      "import type { PresenceTracker } from '../ports/presence-tracker.js';",
      "import { TrackerReplica as Other } from './tracker-replica.js';",
    ].join('\n');
    expect(replicaImports('src/gateway/x.ts', fixture)).toEqual([
      'src/gateway/x.ts: imports src/runtime/tracker-replica.ts',
      'src/gateway/x.ts: imports src/runtime/tracker-replica.ts',
      'src/gateway/x.ts: imports src/runtime/tracker-replica.ts',
      'src/gateway/x.ts: imports src/runtime/tracker-replica.ts',
      'src/gateway/x.ts: imports src/runtime/tracker-replica.ts',
    ]);
  });

  it("finds a listener on the replica's events, on the replica, and any prependListener", () => {
    const fixture = [
      "replica.on('diff', onDiff);",
      "this.options.replica.once('replica', onReplica);",
      'tracker.addListener(event, onAny);',
      "emitter.prependListener('connection', first);",
      "server.replica['on']('link', onLink);",
      "socket.on('disconnect', onClose);",
      "nsp.adapter.on('join-room', onJoin);",
      "changes.attach('fanOut', consumer);",
    ].join('\n');
    expect(replicaListeners('src/gateway/x.ts', fixture)).toEqual([
      'src/gateway/x.ts:1: replica.on(diff)',
      'src/gateway/x.ts:2: this.options.replica.once(replica)',
      'src/gateway/x.ts:3: tracker.addListener(…)',
      'src/gateway/x.ts:4: emitter.prependListener(connection)',
      'src/gateway/x.ts:5: server.replica.on(link)',
    ]);
  });

  it('gives no listener method to the port its consumers hold', () => {
    const port = 'src/ports/presence-tracker.ts';
    const source = ts.createSourceFile(port, text(port), ts.ScriptTarget.Latest, true);
    const tracker = source.statements.find(
      (statement): statement is ts.InterfaceDeclaration =>
        ts.isInterfaceDeclaration(statement) && statement.name.text === 'PresenceTracker',
    );
    const members = tracker?.members.map((member) => member.name?.getText(source)) ?? [];
    expect(members).toContain('track');
    expect(members.filter((name) => name !== undefined && LISTENER_METHODS.has(name))).toEqual([]);
  });
});

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

  it("exposes the replicas' health read-only: no ReplicaHealth, no way to change it", () => {
    const replica = new TrackerReplica({
      name: 'a',
      transport: createInMemoryBus().createTransport('a'),
    });
    const held = Object.entries(replica).filter(([, value]) => value instanceof ReplicaHealth);
    expect(held.map(([name]) => name)).toEqual([]);
    const { health } = replica;
    expect(health).not.toBeInstanceOf(ReplicaHealth);
    expect(Object.isFrozen(health)).toBe(true);
    expect(Object.keys(health).sort()).toEqual(['all', 'counts']);
    expect(health.counts()).toEqual({ up: 0, down: 0 });
  });
});
