/**
 * The command line's replication periods (finding 6 of issue 11): the down period follows the
 * broadcast period, and one an idle node would outlast is exit 2 naming what to raise.
 */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { helpText } from '../../src/cli/help.js';
import { testConfig } from './support/test-config.js';

const config = (argv: string[]) => testConfig(argv);

describe('--down-period-ms against the idle heartbeat interval', () => {
  it('follows a longer --broadcast-period-ms when not given (idle heartbeats every 33 s)', () => {
    expect(config([]).downPeriodMs).toBe(30_000);
    expect(config(['--broadcast-period-ms', '3000']).downPeriodMs).toBe(60_000);
    expect(config(['--broadcast-period-ms', '100']).downPeriodMs).toBe(30_000);
  });

  it('refuses an explicit one shorter than an idle heartbeat interval plus a period', () => {
    const argv = ['--broadcast-period-ms', '3000', '--down-period-ms', '30000'];
    expect(() => config(argv)).toThrow(CliError);
    expect(() => config(argv)).toThrow(
      /^--down-period-ms \(30000\) is too short: .*raise --down-period-ms to 36000 or more/,
    );
    expect(
      config(['--broadcast-period-ms', '3000', '--down-period-ms', '36000']).downPeriodMs,
    ).toBe(36_000);
  });

  it('says to raise --permdown-period-ms when a derived down period reaches it', () => {
    expect(() => config(['--broadcast-period-ms', '60000'])).toThrow(/raise --permdown-period-ms/);
  });
});

describe('--subscription-recheck-ms', () => {
  it('defaults to 10 minutes, reads the flag, then the environment; 0 turns it off', () => {
    const withEnv = (argv: string[], env: Record<string, string>) => testConfig(argv, env);
    expect(config([]).subscriptionRecheckMs).toBe(600_000);
    expect(config(['--subscription-recheck-ms', '0']).subscriptionRecheckMs).toBe(0);
    expect(withEnv([], { PRESENCE_SUBSCRIPTION_RECHECK_MS: '30000' }).subscriptionRecheckMs).toBe(
      30_000,
    );
    expect(() => config(['--subscription-recheck-ms', 'often'])).toThrow(
      /^--subscription-recheck-ms must be an integer from 0 to 2147483647/,
    );
    expect(helpText('0.0.0')).toContain('--subscription-recheck-ms');
  });
});
