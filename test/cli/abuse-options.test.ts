/** The command line's abuse limits: flags, environment variables, defaults, validation. */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { helpText } from '../../src/cli/help.js';
import { testConfig } from './support/test-config.js';

const config = testConfig;

describe('abuse limit options', () => {
  it('default to the gateway defaults, read the flags, then the environment', () => {
    expect(config([])).toMatchObject({
      maxInboundPerSecond: 50,
      handshakesPerSecond: 20,
      trustForwardedFor: false,
    });
    expect(
      config(['--max-inbound-per-second', '500', '--handshakes-per-second', '0']),
    ).toMatchObject({ maxInboundPerSecond: 500, handshakesPerSecond: 0 });
    expect(
      config([], {
        PRESENCE_MAX_INBOUND_PER_SECOND: '80',
        PRESENCE_HANDSHAKES_PER_SECOND: '5',
        PRESENCE_TRUST_FORWARDED_FOR: 'true',
      }),
    ).toMatchObject({ maxInboundPerSecond: 80, handshakesPerSecond: 5, trustForwardedFor: true });
    expect(config(['--trust-forwarded-for']).trustForwardedFor).toBe(true);
    const help = helpText('0.0.0');
    for (const flag of [
      '--max-inbound-per-second',
      '--handshakes-per-second',
      '--trust-forwarded-for',
    ]) {
      expect(help).toContain(flag);
    }
  });

  it('refuses bad values, naming the flag or the variable', () => {
    expect(() => config(['--max-inbound-per-second', '0'])).toThrow(/--max-inbound-per-second/);
    expect(() => config(['--handshakes-per-second', 'many'])).toThrow(CliError);
    expect(() => config([], { PRESENCE_TRUST_FORWARDED_FOR: 'yes' })).toThrow(
      /PRESENCE_TRUST_FORWARDED_FOR/,
    );
  });
});
