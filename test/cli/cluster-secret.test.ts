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
