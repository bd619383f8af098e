/** The command line's options resolved to a configuration: flag, environment variable, default, validation. */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { DEFAULTS, resolveConfig } from '../../src/cli/config.js';
import { helpText } from '../../src/cli/help.js';
import { parseArguments } from '../../src/cli/parse-arguments.js';

const SECRET = 'config-test-secret-of-32-bytes-or-more';
const config = (argv: string[], env: Record<string, string> = {}) =>
  resolveConfig(parseArguments(argv), { PRESENCE_JWT_SECRET: SECRET, ...env }, 1);

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

describe('--drain-ms', () => {
  it('defaults to 20 s (a Kubernetes grace period with the leave grace and the close), flag over environment, 0: none', () => {
    expect(config([]).drainMs).toBe(20_000);
    expect(config(['--drain-ms', '0']).drainMs).toBe(0);
    expect(config([], { PRESENCE_DRAIN_MS: '5000' }).drainMs).toBe(5_000);
    expect(config(['--drain-ms', '100'], { PRESENCE_DRAIN_MS: '5000' }).drainMs).toBe(100);
    expect(helpText('0.0.0')).toContain('--drain-ms');
    expect(() => config(['--drain-ms', 'soon'])).toThrow(/--drain-ms/);
    expect(() => config([], { PRESENCE_DRAIN_MS: '-1' })).toThrow(/PRESENCE_DRAIN_MS/);
  });
});

describe('security settings', () => {
  it('a secret is required unless --demo; --demo alone makes none (a random one at start)', () => {
    expect(() => resolveConfig(parseArguments([]), {}, 1)).toThrow(/PRESENCE_JWT_SECRET.*--demo/);
    expect(resolveConfig(parseArguments(['--demo']), {}, 1).jwtSecret).toBeUndefined();
    expect(config([]).jwtSecret).toBe(SECRET);
    expect(config([]).demo).toBe(false);
  });

  it('token policy: exp required and a day by default; options and variables', () => {
    expect(config([]).jwtPolicy).toEqual({ requireExp: true, maxAgeS: 86_400 });
    expect(
      config(['--jwt-allow-no-exp', '--jwt-audience', 'presence'], {
        PRESENCE_JWT_MAX_AGE_S: '600',
        PRESENCE_JWT_ISSUER: 'app',
      }).jwtPolicy,
    ).toEqual({ requireExp: false, maxAgeS: 600, audience: 'presence', issuer: 'app' });
    expect(config([], { PRESENCE_JWT_ALLOW_NO_EXP: 'true' }).jwtPolicy.requireExp).toBe(false);
    expect(config([], { PRESENCE_JWT_ALLOW_NO_EXP: '0' }).jwtPolicy.requireExp).toBe(true);
  });

  it('--metrics-listen takes <host>:<port>, [<ipv6>]:<port> or <port>', () => {
    expect(config([]).metricsListen).toBeUndefined();
    expect(config(['--metrics-listen', '10.0.0.5:9464']).metricsListen).toEqual({
      host: '10.0.0.5',
      port: 9464,
    });
    expect(config(['--metrics-listen', '[::1]:9464']).metricsListen).toEqual({
      host: '::1',
      port: 9464,
    });
    expect(config([], { PRESENCE_METRICS_LISTEN: '9464' }).metricsListen).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
    expect(() => config(['--metrics-listen', 'host:'])).toThrow(/--metrics-listen/);
  });

  it('lists the secrets given as options, not those from the environment', () => {
    expect(
      config([], { PRESENCE_ADMIN_TOKEN: 'admin-token-0123456789' }).secretsOnCommandLine,
    ).toEqual([]);
    expect(
      config(['--jwt-secret', SECRET, '--admin-token', 'admin-token-0123456789'])
        .secretsOnCommandLine,
    ).toEqual([
      { option: '--jwt-secret', variable: 'PRESENCE_JWT_SECRET' },
      { option: '--admin-token', variable: 'PRESENCE_ADMIN_TOKEN' },
    ]);
  });
});
