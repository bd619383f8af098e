import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The linter forbids Date, timers and foreign imports in src/core; this catches what a global
// ban cannot name: randomness and hidden clocks reached through Math or globalThis.
const coreDir = new URL('../../src/core/', import.meta.url).pathname;

describe('src/core stays pure', () => {
  const files = readdirSync(coreDir).filter((f) => f.endsWith('.ts'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s uses no randomness, clock or I/O', (file) => {
    const source = readFileSync(join(coreDir, file), 'utf8');
    expect(source).not.toMatch(/Math\.random|Date\.now|new Date|performance\.now|hrtime/);
    expect(source).not.toMatch(/from ['"](node:|ioredis|socket\.io|graphology|pg)/);
    expect(source).not.toMatch(/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/);
  });
});
