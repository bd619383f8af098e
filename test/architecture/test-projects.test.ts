import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INTEGRATION_TESTS } from '../projects.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What an integration test uses: a process, Redis, PostgreSQL or a browser. */
const INTEGRATION_SIGNS = [
  /support\/redis-server\.js/,
  /support\/replica-process\.js/,
  /cli\/support\/(cli-process|two-nodes|presence-clients)\.js/,
  /from 'ioredis'/,
  /from 'pg'/,
  /from 'node:child_process'/,
  /playwright/,
];

function testFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [relative(root, path).split(sep).join('/')] : [];
  });
}

/** The list holds folders (`dir/**\/*.test.ts`) and single files only. */
function matches(file: string, pattern: string): boolean {
  return pattern.endsWith('/**/*.test.ts')
    ? file.startsWith(pattern.slice(0, -'**/*.test.ts'.length))
    : file === pattern;
}

const isIntegration = (file: string) => INTEGRATION_TESTS.some((pattern) => matches(file, pattern));
const THIS_FILE = 'test/architecture/test-projects.test.ts';

describe('the unit / integration split (vitest projects)', () => {
  const files = testFiles(join(root, 'test'));

  it('puts every test that starts a process, or uses Redis, PostgreSQL or a browser, in integration', () => {
    const misplaced = files.filter(
      (file) =>
        file !== THIS_FILE &&
        !isIntegration(file) &&
        INTEGRATION_SIGNS.some((sign) => sign.test(readFileSync(join(root, file), 'utf8'))),
    );
    expect(misplaced).toEqual([]);
  });

  it('lists only files and folders that exist', () => {
    const unmatched = INTEGRATION_TESTS.filter(
      (pattern) => !files.some((file) => matches(file, pattern)),
    );
    expect(unmatched).toEqual([]);
  });
});
