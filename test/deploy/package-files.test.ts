/**
 * What npm publishes (`npm pack --dry-run`): the compiled code, LICENSE, PROTOCOL.md and every
 * docs/ page, so the README's links to them work from the package; and the repository field that
 * npm uses to resolve the README's other relative links.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/dockerfile.js';

const packed = (): Set<string> => {
  // --ignore-scripts: the list, without compiling first (dist/ is whatever the last build left).
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  const [pack] = JSON.parse(output) as { files: { path: string }[] }[];
  return new Set((pack?.files ?? []).map((file) => file.path));
};

describe('the npm package', () => {
  const files = packed();
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    license: string;
    repository?: { type: string; url: string };
  };

  it('ships LICENSE (the license package.json names), PROTOCOL.md and docs/', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(REPO, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    for (const file of ['LICENSE', 'README.md', 'PROTOCOL.md', 'package.json']) {
      expect(files).toContain(file);
    }
    for (const page of readdirSync(join(REPO, 'docs'))) expect(files).toContain(`docs/${page}`);
  });

  it("ships what the README's links to docs/ and PROTOCOL.md name", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(((?:docs\/|PROTOCOL\.md)[^)#\s]*)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(files).toContain(target);
  });

  it('names its repository, without placeholders', () => {
    expect(pkg.repository?.type).toBe('git');
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
  });
});
