/**
 * The options schema (src/options/) is what the command line, `--help`, the library and
 * docs/usage.md say: each is made from it, and these tests fail when one drifts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { CliError } from '../../src/cli/cli-error.js';
import { cliOptions } from '../../src/cli/cli-options.js';
import { resolveConfig } from '../../src/cli/config.js';
import { helpText } from '../../src/cli/help.js';
import { parseArguments } from '../../src/cli/parse-arguments.js';
import { InvalidOptionError } from '../../src/errors.js';
import { DEFAULT_JWT_MAX_AGE_S } from '../../src/gateway/edge/jwt-policy.js';
import {
  ALL_OPTIONS,
  type IntegerSpec,
  OPTION_GROUPS,
  optionEntries,
} from '../../src/options/index.js';
import { withGeneratedTables } from '../../src/options/options-docs.js';
import { DEFAULT_TIMING, defaultDownPeriodMs } from '../../src/runtime/replica-options.js';
import {
  createPresenceServer,
  type PresenceServerOptions,
} from '../../src/server/create-presence-server.js';

const usagePath = fileURLToPath(new URL('../../docs/usage.md', import.meta.url));
const SECRET = 'options-schema-test-secret-of-32-bytes';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const integers = () =>
  optionEntries().filter((entry): entry is [never, IntegerSpec] => entry[1].type === 'integer');

describe('the options schema', () => {
  it('names each flag after its option, once; each variable once; defaults within bounds', () => {
    const flags = cliOptions().map(({ name, spec }) => {
      expect(spec.flag).toBe(`--${kebab(name)}`);
      return spec.flag;
    });
    expect(new Set(flags).size).toBe(flags.length);
    const variables = optionEntries().flatMap(([, spec]) => (spec.env ? [spec.env] : []));
    expect(new Set(variables).size).toBe(variables.length);
    for (const [name, spec] of integers()) {
      expect(spec.min, name).toBeLessThanOrEqual(spec.default);
      expect(spec.default, name).toBeLessThanOrEqual(spec.max);
    }
    const grouped = OPTION_GROUPS.flatMap((group) => Object.keys(group.options));
    expect(grouped).toEqual(Object.keys(ALL_OPTIONS));
  });

  it('gives the defaults the modules use', () => {
    expect(DEFAULT_TIMING.broadcastPeriodMs).toBe(ALL_OPTIONS.broadcastPeriodMs.default);
    expect(DEFAULT_TIMING.permdownPeriodMs).toBe(ALL_OPTIONS.permdownPeriodMs.default);
    expect(
      defaultDownPeriodMs(DEFAULT_TIMING.broadcastPeriodMs, DEFAULT_TIMING.maxSilentPeriods),
    ).toBe(ALL_OPTIONS.downPeriodMs.default);
    expect(DEFAULT_JWT_MAX_AGE_S).toBe(ALL_OPTIONS.jwtMaxAgeS.default);
  });

  it('the command line takes every flag and variable, within the bounds, and names them when out', () => {
    const config = (argv: string[], env: Record<string, string> = {}) =>
      resolveConfig(parseArguments(argv), { PRESENCE_JWT_SECRET: SECRET, ...env }, 1);
    for (const { name, spec } of cliOptions()) {
      if (spec.type !== 'integer') continue;
      // The periods check each other; the others stand alone.
      if (['broadcastPeriodMs', 'downPeriodMs', 'permdownPeriodMs'].includes(name)) continue;
      expect(() => config([spec.flag, String(spec.max + 1)]), name).toThrow(CliError);
      expect(() => config([spec.flag, String(spec.max + 1)]), name).toThrow(spec.flag);
      if (spec.env !== undefined) {
        expect(() => config([], { [spec.env!]: 'x' }), name).toThrow(spec.env);
      }
      expect(() => config([spec.flag, String(spec.min)]), name).not.toThrow();
    }
  });

  it('the library takes every numeric option within its bounds and names it when out', () => {
    const graph = new GraphologyFriendsGraph();
    const base: PresenceServerOptions = { graph, jwtSecret: SECRET };
    for (const [name, spec] of integers().filter(([, spec]) => spec.library === true)) {
      for (const bad of [spec.min - 1, spec.max + 1, 1.5]) {
        if (bad === 1.5 && spec.min > 1.5) continue;
        expect(() => createPresenceServer({ ...base, [name]: bad }), `${name} ${bad}`).toThrow(
          InvalidOptionError,
        );
        expect(() => createPresenceServer({ ...base, [name]: bad }), `${name} ${bad}`).toThrow(
          new RegExp(`${name} must be an integer from ${spec.min} to ${spec.max}`),
        );
      }
    }
  });
});

describe('made from the schema', () => {
  it('docs/usage.md holds the tables the schema makes (npm run docs:options rewrites them)', () => {
    const usage = readFileSync(usagePath, 'utf8');
    expect(usage).toBe(withGeneratedTables(usage));
  });

  it('--help lists every flag with its variable and default, and no flag outside the schema', () => {
    const help = helpText('0.0.0');
    const flat = help.replace(/\n +/g, ' ');
    for (const { spec } of cliOptions()) {
      expect(help).toContain(`  ${spec.flag}`);
      if (spec.env !== undefined) expect(flat).toContain(spec.env);
      if (spec.type === 'integer' && spec.defaultDoc === undefined) {
        expect(flat).toContain(`default ${spec.default}`);
      }
    }
    const listed = [...help.matchAll(/^ {2}(--[a-z][a-z0-9-]*)/gm)].map((match) => match[1]);
    const known = [...cliOptions().map(({ spec }) => spec.flag), '--help', '--version'];
    expect(listed.filter((flag) => !known.includes(flag!))).toEqual([]);
    expect(help.split('\n').filter((line) => line.length > 100)).toEqual([]);
  });

  it('the parser knows exactly the schema flags (and -h, -v)', () => {
    for (const { spec } of cliOptions()) {
      const argv = spec.type === 'flag' ? [spec.flag] : [spec.flag, '1'];
      expect(() => parseArguments(argv), spec.flag).not.toThrow();
    }
    expect(() => parseArguments(['--not-an-option'])).toThrow(/unknown option --not-an-option/);
  });
});
