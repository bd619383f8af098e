/**
 * The cluster secret on the command line: read from the option or PRESENCE_CLUSTER_SECRET, at
 * least 32 bytes (else exit 2 with one line), a previous one only with a current one; and a node
 * clustered without a secret says loudly, once, that Redis is then a trust boundary.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { helpText } from '../../src/cli/help.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { killAll, runCli, startCli, stopCli } from './support/cli-process.js';
import { testConfig } from './support/test-config.js';

const SECRET = 'a-cluster-secret-of-at-least-32-bytes';
const OLD = 'the-previous-cluster-secret-32-bytes';
const config = testConfig;

let redis: RedisServer | undefined;
afterAll(async () => {
  killAll();
  await redis?.dispose();
});

describe('--cluster-secret', () => {
  it('reads the option, then the variable; the previous one too', () => {
    expect(config([]).clusterSecret).toBeUndefined();
    expect(config(['--cluster-secret', SECRET]).clusterSecret).toBe(SECRET);
    const fromEnv = config([], {
      PRESENCE_CLUSTER_SECRET: SECRET,
      PRESENCE_CLUSTER_SECRET_PREVIOUS: OLD,
    });
    expect([fromEnv.clusterSecret, fromEnv.clusterSecretPrevious]).toEqual([SECRET, OLD]);
    expect(helpText('0.0.0')).toContain('PRESENCE_CLUSTER_SECRET');
  });

  it('refuses a short secret and a previous one alone, naming the option or variable', () => {
    expect(() => config(['--cluster-secret', 'x'.repeat(31)])).toThrow(CliError);
    expect(() => config([], { PRESENCE_CLUSTER_SECRET: 'short' })).toThrow(
      /PRESENCE_CLUSTER_SECRET .*at least 32 bytes/,
    );
    expect(() => config(['--cluster-secret-previous', OLD])).toThrow(/needs --cluster-secret/);
  });

  it('reads the next one (rotation phase 1) and the channel prefix; refuses a next one alone and a bad prefix', () => {
    const phase1 = config([], {
      PRESENCE_CLUSTER_SECRET: OLD,
      PRESENCE_CLUSTER_SECRET_NEXT: SECRET,
      PRESENCE_CHANNEL_PREFIX: 'presence-eu',
    });
    expect([phase1.clusterSecret, phase1.clusterSecretNext, phase1.channelPrefix]).toEqual([
      OLD,
      SECRET,
      'presence-eu',
    ]);
    expect(config(['--channel-prefix', 'a:b']).channelPrefix).toBe('a:b');
    expect(config([]).channelPrefix).toBeUndefined();
    expect(() => config(['--cluster-secret-next', SECRET])).toThrow(/needs --cluster-secret/);
    expect(() => config(['--channel-prefix', 'two words'])).toThrow(/--channel-prefix/);
    expect(() => config(['--channel-prefix', ' '])).toThrow(/must not be empty/);
  });

  it('refuses a cluster secret variable set but empty', () => {
    for (const variable of [
      'PRESENCE_CLUSTER_SECRET',
      'PRESENCE_CLUSTER_SECRET_PREVIOUS',
      'PRESENCE_CLUSTER_SECRET_NEXT',
    ]) {
      expect(() => config([], { PRESENCE_CLUSTER_SECRET: SECRET, [variable]: '' })).toThrow(
        new RegExp(`${variable} is set but empty`),
      );
    }
  });

  it('a short secret exits 2 with one line', async () => {
    const run = runCli(['--port', '0', '--demo'], { PRESENCE_CLUSTER_SECRET: 'too-short' });
    expect((await run.exited).code).toBe(2);
    expect(run.plainStderrLines()).toEqual([expect.stringContaining('PRESENCE_CLUSTER_SECRET')]);
  });

  it('a clustered node without a secret warns once that Redis is a trust boundary; with one it does not', async () => {
    redis = await startRedisServer();
    const args = ['--port', '0', '--demo', '--redis', redis.url, '--node-name'];
    const open = await startCli([...args, 'open']);
    const closed = await startCli([...args, 'closed'], { PRESENCE_CLUSTER_SECRET: SECRET });
    await Promise.all([stopCli(open.run), stopCli(closed.run)]);
    const warnings = (stderr: string) =>
      stderr.split('\n').filter((line) => line.includes('NO CLUSTER SECRET'));
    expect(warnings(open.run.stderr)).toHaveLength(1);
    expect(warnings(open.run.stderr)[0]).toMatch(/rediss:\/\//);
    expect(warnings(closed.run.stderr)).toEqual([]);
  });
});
