/**
 * The client protocol's types are defined once, in src/domain/client-protocol.ts: the server, the
 * client SDK and the load workers import them (type-only where a bundle matters) instead of
 * declaring their own copy under the same name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PROTOCOL = 'src/domain/client-protocol.ts';
/**
 * Declarations that share a protocol name on purpose: the SDK's deprecated `ClientErrorCode`
 * (its own codes, now PresenceClientErrorCode), kept so apps written against it still compile.
 */
const DEPRECATED_ALIASES = ['src/client/index.ts: ClientErrorCode'];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (name === 'results' || name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The names of the interfaces, type aliases and classes declared at the top of `text`. */
function declaredTypes(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) =>
    (ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isClassDeclaration(statement)) &&
    statement.name !== undefined
      ? [statement.name.text]
      : [],
  );
}

describe('the wire types of the client protocol', () => {
  const protocolTypes = new Set(
    declaredTypes(PROTOCOL, readFileSync(join(root, PROTOCOL), 'utf8')),
  );

  it('are declared in src/domain/client-protocol.ts only (src, graph-adapters, load)', () => {
    expect(protocolTypes.size).toBeGreaterThan(15);
    const files = ['src', 'graph-adapters', 'load']
      .flatMap((folder) => sourceFiles(join(root, folder)))
      .map((path) => relative(root, path).split(sep).join('/'))
      .filter((file) => file !== PROTOCOL);
    const copies = files.flatMap((file) =>
      declaredTypes(file, readFileSync(join(root, file), 'utf8'))
        .filter((name) => protocolTypes.has(name))
        .map((name) => `${file}: ${name}`),
    );
    expect(copies).toEqual(DEPRECATED_ALIASES);
  });

  it('finds a copy declared as an interface or a type', () => {
    const text = [
      'export interface WireMeta { readonly phx_ref: string }',
      'type UpdateAck = { ok: boolean };',
      "import type { PresenceDiff } from '../domain/client-protocol.js';",
    ].join('\n');
    expect(declaredTypes('load/x.ts', text).filter((name) => protocolTypes.has(name))).toEqual([
      'WireMeta',
      'UpdateAck',
    ]);
  });
});
