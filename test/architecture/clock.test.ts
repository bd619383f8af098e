/**
 * One clock: the server reads the time and sets timers only through the clock it was given at
 * the composition root (src/ports/clock.ts, createPresenceServer's `clock`). No module of src
 * reaches for the process's clocks or timers itself, but these:
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const ALLOWED: readonly string[] = [
  // The system clock, timers and wall clock: the one implementation of the port.
  'src/ports/clock.ts',
  // The client SDK runs in browsers and apps, not in the server: it keeps its own time.
  'src/client/',
];

/** Calls and references that read the process's clock or set its timers directly. */
const FORBIDDEN_ACCESS = new Set([
  'Date.now',
  'performance.now',
  'globalThis.setTimeout',
  'globalThis.setInterval',
  'globalThis.performance.now',
  'globalThis.Date.now',
]);
const FORBIDDEN_GLOBALS = new Set(['setTimeout', 'setInterval']);

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `line: text` of every direct use of a process clock or timer in `text`. */
function clockUses(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${file}:${line + 1}: ${node.getText(source)}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && FORBIDDEN_ACCESS.has(node.getText(source))) {
      report(node);
      return;
    }
    if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text)) {
      const parent = node.parent;
      // `x.setTimeout` (a port's method) and declarations named setTimeout are not the global.
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isMethodSignature(parent) ||
          ts.isMethodDeclaration(parent) ||
          ts.isPropertyAssignment(parent) ||
          ts.isPropertySignature(parent)) &&
          parent.name === node);
      if (!isMemberName) report(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('one clock', () => {
  it('no module of src reads the time or sets a timer but through the clock port', () => {
    const uses = sourceFiles(join(root, 'src'))
      .map((path) => relative(root, path).split(sep).join('/'))
      .filter((file) => !ALLOWED.some((allowed) => file.startsWith(allowed)))
      .flatMap((file) => clockUses(file, readFileSync(join(root, file), 'utf8')));
    expect(uses).toEqual([]);
  });

  it('the check finds each kind of direct use, and not a port method or a string', () => {
    const text = [
      'const a = Date.now();',
      'const b = performance.now();',
      'setTimeout(() => {}, 1);',
      'const c = setInterval;',
      'globalThis.setTimeout(() => {}, 1);',
      'clock.setTimeout(() => {}, 1);',
      'const timers = { setTimeout(cb: () => void) { return cb; } };',
      'const text = "use Date.now()";',
    ].join('\n');
    expect(clockUses('x.ts', text).map((use) => use.split(': ')[1])).toEqual([
      'Date.now',
      'performance.now',
      'setTimeout',
      'setInterval',
      'globalThis.setTimeout',
    ]);
  });
});
