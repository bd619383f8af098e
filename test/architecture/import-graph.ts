import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Module (repository-relative path, `/`-separated) → the modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function toModuleName(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** Every module's relative imports, and the subset that are values (not erased at build). */
export interface ImportGraphs {
  readonly all: ImportGraph;
  readonly values: ImportGraph;
}

/** Whether the declaration brings in types only (`import type`, or every name marked `type`). */
function isTypeOnly(statement: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(statement)) {
    if (statement.isTypeOnly) return true;
    const clause = statement.exportClause;
    return (
      clause !== undefined &&
      ts.isNamedExports(clause) &&
      clause.elements.length > 0 &&
      clause.elements.every((element) => element.isTypeOnly)
    );
  }
  const clause = statement.importClause;
  if (clause === undefined) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

/**
 * Reads every `.ts` file under `folders` and records its relative `import ... from` and
 * `export ... from`, resolving `x.js` to `x.ts`.
 */
export function buildImportGraphs(root: string, folders: readonly string[]): ImportGraphs {
  const all = new Map<string, string[]>();
  const values = new Map<string, string[]>();
  for (const folder of folders) {
    for (const file of sourceFiles(resolve(root, folder))) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      const allTargets = new Set<string>();
      const valueTargets = new Set<string>();
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
        const specifier = statement.moduleSpecifier;
        if (specifier === undefined || !ts.isStringLiteral(specifier)) continue;
        if (!specifier.text.startsWith('.')) continue;
        const target = toModuleName(
          root,
          resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts')),
        );
        allTargets.add(target);
        if (!isTypeOnly(statement)) valueTargets.add(target);
      }
      all.set(toModuleName(root, file), [...allTargets]);
      values.set(toModuleName(root, file), [...valueTargets]);
    }
  }
  return { all, values };
}

/**
 * One cycle per strongly connected component of more than one module (or a module importing
 * itself), each as the path `a → b → … → a`, found by Tarjan's algorithm.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;

  const visit = (module: string): void => {
    index.set(module, counter);
    lowLink.set(module, counter);
    counter += 1;
    stack.push(module);
    onStack.add(module);
    for (const target of graph.get(module) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        lowLink.set(module, Math.min(lowLink.get(module) ?? 0, lowLink.get(target) ?? 0));
      } else if (onStack.has(target)) {
        lowLink.set(module, Math.min(lowLink.get(module) ?? 0, index.get(target) ?? 0));
      }
    }
    if (lowLink.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    const selfImport = graph.get(module)?.includes(module) ?? false;
    if (component.length > 1 || selfImport) components.push(component);
  };

  for (const module of [...graph.keys()].sort()) if (!index.has(module)) visit(module);
  return components.map((component) => cycleThrough(graph, new Set(component)));
}

/** A shortest path from the component's first module (sorted) back to itself, inside it. */
function cycleThrough(graph: ImportGraph, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0] as string;
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const module = queue[head] as string;
    for (const target of graph.get(module) ?? []) {
      if (!component.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let step: string | undefined = module; step !== start; step = previous.get(step)) {
          if (step === undefined) break;
          path.splice(1, 0, step);
        }
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, module);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

export interface ImportRule {
  readonly name: string;
  /** True when the import from `from` to `to` breaks the rule. */
  readonly forbids: (from: string, to: string) => boolean;
}

/** Every import that breaks a rule, as `rule: from → to`. */
export function ruleViolations(graph: ImportGraph, rules: readonly ImportRule[]): string[] {
  const violations: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      for (const rule of rules) {
        if (rule.forbids(from, to)) violations.push(`${rule.name}: ${from} → ${to}`);
      }
    }
  }
  return violations.sort();
}

/**
 * The folder a module belongs to: the directory it is in (`src/<folder>`, a sub-folder such as
 * `src/gateway/edge`, `graph-adapters/<folder>`), or itself for a top-level file (`src/index.ts`).
 */
export function folderOf(module: string): string {
  const parts = module.split('/');
  return parts.length > 2 ? parts.slice(0, -1).join('/') : module;
}

/** The graph of folders: one folder imports another when any of its modules does. */
export function folderGraph(graph: ImportGraph): ImportGraph {
  const folders = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const source = folderOf(from);
    const edges = folders.get(source) ?? new Set<string>();
    folders.set(source, edges);
    for (const to of targets) if (folderOf(to) !== source) edges.add(folderOf(to));
  }
  return new Map([...folders].map(([folder, edges]) => [folder, [...edges].sort()]));
}
