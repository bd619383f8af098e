/** The command line's leave grace option: flag, environment variable, default, validation. */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { DEFAULTS, resolveConfig } from '../../src/cli/config.js';
import { helpText } from '../../src/cli/help.js';
import { parseArguments } from '../../src/cli/parse-arguments.js';

const config = (argv: string[], env: Record<string, string> = {}) =>
  resolveConfig(parseArguments(argv), env, 1);

describe('--leave-grace-ms', () => {
  it('defaults to a few seconds, reads the flag, then the environment; 0 turns it off', () => {
    expect(DEFAULTS.leaveGraceMs).toBe(5_000);
    expect(config([]).leaveGraceMs).toBe(5_000);
    expect(config(['--leave-grace-ms', '0']).leaveGraceMs).toBe(0);
    expect(config([], { PRESENCE_LEAVE_GRACE_MS: '12000' }).leaveGraceMs).toBe(12_000);
    expect(
      config(['--leave-grace-ms', '100'], { PRESENCE_LEAVE_GRACE_MS: '12000' }).leaveGraceMs,
    ).toBe(100);
    expect(helpText('0.0.0')).toContain('--leave-grace-ms');
  });

  it('refuses what is not an integer of timer range, naming the flag or the variable', () => {
    for (const value of ['soon', '1.5', '2147483648']) {
      expect(() => config(['--leave-grace-ms', value])).toThrow(CliError);
      expect(() => config(['--leave-grace-ms', value])).toThrow(/--leave-grace-ms/);
    }
    expect(() => config([], { PRESENCE_LEAVE_GRACE_MS: 'x' })).toThrow(/PRESENCE_LEAVE_GRACE_MS/);
  });
});
