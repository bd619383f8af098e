/**
 * `--redis` (REDIS_URL), `--graph` and `--last-seen` with a Sentinel URL: accepted wherever a
 * Redis URL is, the last-seen default follows it, and a bad or unreachable one is one line naming
 * the setting and exit 2 from the real command. The failover itself: sentinel-failover.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { helpText } from '../../src/cli/help.js';
import { killAll, runCli } from './support/cli-process.js';
import { TEST_JWT_SECRET, testConfig } from './support/test-config.js';

afterAll(() => killAll());

const SENTINEL_URL = 'redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/presence';

describe('a Sentinel URL in the CLI settings', () => {
  it('is the cluster bus, and the default last-seen store, from --redis or REDIS_URL', () => {
    for (const config of [
      testConfig(['--redis', SENTINEL_URL]),
      testConfig([], { REDIS_URL: SENTINEL_URL }),
    ]) {
      expect(config.redisUrl).toBe(SENTINEL_URL);
      expect(config.lastSeen.spec).toEqual({ kind: 'redis', url: SENTINEL_URL });
    }
    expect(testConfig(['--redis', 'rediss-sentinel://h/m']).redisUrl).toBe('rediss-sentinel://h/m');
  });

  it('is a --graph and a --last-seen spec, bare or after redis:', () => {
    for (const spec of [SENTINEL_URL, `redis:${SENTINEL_URL}`]) {
      expect(testConfig(['--graph', spec]).graph).toEqual({ kind: 'redis', url: SENTINEL_URL });
      expect(testConfig(['--last-seen', spec]).lastSeen.spec).toEqual({
        kind: 'redis',
        url: SENTINEL_URL,
      });
    }
  });

  it.each([
    [['--redis', 'redis-sentinel://10.0.0.1:26379'], '--redis', /names one master group/],
    [['--redis', 'redis-sentinel://h:x/m'], '--redis', /"h:x" has no valid port/],
    [['--graph', 'redis-sentinel:///m'], '--graph', /lists the Sentinels' addresses/],
    [['--last-seen', 'redis:redis-sentinel://h/m?x=1'], '--last-seen', /unknown Sentinel URL/],
  ])('%j is a CliError naming the setting and the fix', (argv, source, fix) => {
    expect(() => testConfig(argv)).toThrow(CliError);
    expect(() => testConfig(argv)).toThrow(source);
    expect(() => testConfig(argv)).toThrow(fix);
  });

  it('keeps passwords out of the message', () => {
    const url = 'redis-sentinel://:hunter2@h:bad/m?sentinelPassword=hunter2';
    expect(() => testConfig(['--redis', url])).toThrow(
      '--redis "redis-sentinel://:***@h:bad/m?sentinelPassword=***"',
    );
    expect(() => testConfig(['--redis', url])).not.toThrow(/hunter2/);
  });

  it('is in --help', () => {
    expect(helpText('0.0.0')).toContain('redis-sentinel://');
  });
});

describe('graph-presence with a Sentinel URL: one line and exit 2', () => {
  async function usageError(args: string[], env: Record<string, string> = {}) {
    const run = runCli(args, { PRESENCE_JWT_SECRET: TEST_JWT_SECRET, ...env });
    expect((await run.exited).code).toBe(2);
    const lines = run.plainStderrLines();
    expect(lines).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    return lines[0]!;
  }

  it('a malformed one names REDIS_URL and the form to write', async () => {
    const line = await usageError([], { REDIS_URL: 'redis-sentinel://127.0.0.1:26379' });
    expect(line).toContain('REDIS_URL');
    expect(line).toContain('redis-sentinel://host:26379,host2:26379/<master name>');
  });

  it('unreachable Sentinels name --redis and keep the password out', async () => {
    const url = 'redis-sentinel://:hunter2@127.0.0.1:1/presence';
    const line = await usageError(['--redis', url]);
    expect(line).toContain(
      '--redis: cannot reach Redis at redis-sentinel://:***@127.0.0.1:1/presence',
    );
    expect(line).not.toContain('hunter2');
  });
});
