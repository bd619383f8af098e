/**
 * Options declared once (src/options/): no module of src names a command-line flag or an
 * option's environment variable but the schema's group files, none reads a variable of its own,
 * and the library's option interfaces take their numeric options from the schema's types
 * instead of declaring them again.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { optionEntries } from '../../src/options/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const SCHEMA = 'src/options/';
/** Variables read outside the schema: neither is an option of the node. */
const OTHER_VARIABLES: Readonly<Record<string, string>> = {
  // The log level of the CLI's logger (pino), named in --help's notes.
  LOG_LEVEL: 'src/cli/main.ts',
  // The migration command's connection string (npm run last-seen:migrate).
  DATABASE_URL: 'src/last-seen/migrate.ts',
};
/** The library's option interfaces, and the schema groups they take numeric options from. */
const OPTION_INTERFACES = [
  'PresenceServerOptions',
  'PresenceGatewayOptions',
  'BackendPresenceOptions',
];

const FLAG = /^--[a-z][a-z0-9-]*$/;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function violations(
  file: string,
  text: string,
  variables: ReadonlySet<string>,
  library: ReadonlySet<string>,
): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${file}:${line + 1}: ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node)) {
      if (FLAG.test(node.text)) at(node, `flag ${node.text} outside the schema`);
      if (variables.has(node.text)) at(node, `variable ${node.text} outside the schema`);
    }
    // env['X'], process.env['X'], process.env.X: a variable read here and not declared.
    if (ts.isElementAccessExpression(node) && /(^|\.)env$/.test(node.expression.getText(source))) {
      const key = node.argumentExpression;
      if (ts.isStringLiteralLike(key) && OTHER_VARIABLES[key.text] !== file) {
        at(node, `reads variable ${key.text}`);
      }
    }
    if (ts.isPropertyAccessExpression(node) && node.expression.getText(source) === 'process.env') {
      if (OTHER_VARIABLES[node.name.text] !== file) at(node, `reads variable ${node.name.text}`);
    }
    if (ts.isInterfaceDeclaration(node) && OPTION_INTERFACES.includes(node.name.text)) {
      for (const member of node.members) {
        const name = member.name?.getText(source);
        if (name !== undefined && library.has(name)) {
          at(
            member,
            `${node.name.text} declares ${name}: take it from the schema (LibraryOptions)`,
          );
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const variables = new Set(optionEntries().flatMap(([, spec]) => (spec.env ? [spec.env] : [])));
const library = new Set(
  optionEntries()
    .filter(([, spec]) => spec.type === 'integer' && spec.library === true)
    .map(([name]) => name),
);

describe('options declared once', () => {
  it('no module outside src/options/ declares a flag, a variable or a library option', () => {
    const found = sourceFiles(join(root, 'src'))
      .map((path) => relative(root, path).split(sep).join('/'))
      .filter((file) => !file.startsWith(SCHEMA))
      .flatMap((file) =>
        violations(file, readFileSync(join(root, file), 'utf8'), variables, library),
      );
    expect(found).toEqual([]);
  });

  it('the check finds each kind of declaration', () => {
    const text = [
      "const flag = '--leave-grace-ms';",
      "const fromEnv = env['PRESENCE_NEW_THING'];",
      'const other = process.env.SOMETHING;',
      "const named = 'PRESENCE_LEAVE_GRACE_MS';",
      'interface PresenceServerOptions { readonly leaveGraceMs?: number }',
      "const message = 'raise --leave-grace-ms';",
    ].join('\n');
    const found = violations('src/x.ts', text, variables, library).map((v) => v.split(': ')[1]);
    expect(found).toEqual([
      'flag --leave-grace-ms outside the schema',
      'reads variable PRESENCE_NEW_THING',
      'reads variable SOMETHING',
      'variable PRESENCE_LEAVE_GRACE_MS outside the schema',
      'PresenceServerOptions declares leaveGraceMs',
    ]);
  });
});
