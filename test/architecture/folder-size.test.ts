/**
 * No folder of src/ holds more than MAX_FILES_PER_FOLDER files directly: past that a folder is
 * several rooms in one (as src/gateway was, at 36), and its sub-folders should say which.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAX_FILES_PER_FOLDER = 20;

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every folder under `dir` (itself included), repository-relative, with its count of files. */
function fileCounts(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (folder: string) => {
    const entries = readdirSync(join(root, folder), { withFileTypes: true });
    counts.set(folder, entries.filter((entry) => entry.isFile()).length);
    for (const entry of entries) if (entry.isDirectory()) visit(`${folder}/${entry.name}`);
  };
  visit(dir);
  return counts;
}

/** The folders over `max` files, each with its count, largest first. */
function crowded(counts: ReadonlyMap<string, number>, max: number): string[] {
  return [...counts]
    .filter(([, files]) => files > max)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([folder, files]) => `${folder}: ${files} files (at most ${max}: split it into rooms)`);
}

describe('folder sizes in src/', () => {
  it(`has no folder with more than ${MAX_FILES_PER_FOLDER} files directly in it`, () => {
    const counts = fileCounts('src');
    expect(counts.get('src/gateway/session')).toBeGreaterThan(0);
    expect(crowded(counts, MAX_FILES_PER_FOLDER)).toEqual([]);
  });

  it('reports a crowded folder and passes one at the limit', () => {
    const counts = new Map([
      ['src/a', 21],
      ['src/b', 20],
      ['src/c', 36],
    ]);
    expect(crowded(counts, 20)).toEqual([
      'src/c: 36 files (at most 20: split it into rooms)',
      'src/a: 21 files (at most 20: split it into rooms)',
    ]);
  });
});
