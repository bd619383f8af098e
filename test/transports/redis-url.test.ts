import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import {
  createRedisClient,
  isSentinelUrl,
  parseRedisUrl,
  parseSentinelUrl,
  SENTINEL_COMMAND_TIMEOUT_MS,
} from '../../src/transports/redis-url.js';

describe('parseRedisUrl', () => {
  it('passes redis:// and rediss:// URLs to ioredis unchanged', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({
      kind: 'direct',
      url: 'redis://127.0.0.1:6379/2',
    });
    expect(parseRedisUrl('rediss://:pw@cache:6380')).toEqual({
      kind: 'direct',
      url: 'rediss://:pw@cache:6380',
    });
  });

  it('turns a Sentinel URL into ioredis Sentinel options', () => {
    expect(parseRedisUrl('redis-sentinel://s1:26379,s2:26380,s3/mymaster')).toEqual({
      kind: 'sentinel',
      options: {
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
          { host: 's3', port: 26379 },
        ],
        name: 'mymaster',
        role: 'master',
      },
    });
  });

  it('reads the servers’ credentials, the database and the Sentinels’ credentials', () => {
    expect(
      parseSentinelUrl(
        'redis-sentinel://app:p%40ss@[::1]:26379,10.0.0.2:26379/my%20master?db=3&sentinelUsername=watch&sentinelPassword=s3cret',
      ),
    ).toEqual({
      sentinels: [
        { host: '::1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'my master',
      role: 'master',
      username: 'app',
      password: 'p@ss',
      db: 3,
      sentinelUsername: 'watch',
      sentinelPassword: 's3cret',
    });
    expect(parseSentinelUrl('redis-sentinel://:pw@h:1/m')).toMatchObject({ password: 'pw' });
    expect(parseSentinelUrl('redis-sentinel://:pw@h:1/m')).not.toHaveProperty('username');
  });

  it('speaks TLS to the Sentinels and the servers with rediss-sentinel://', () => {
    expect(parseSentinelUrl('rediss-sentinel://h:26379/m')).toMatchObject({
      tls: {},
      sentinelTLS: {},
      enableTLSForSentinelMode: true,
    });
    expect(parseSentinelUrl('redis-sentinel://h:26379/m')).not.toHaveProperty('tls');
  });

  it('gives a Sentinel client the settings of the URL over the caller, and a Sentinel timeout', () => {
    // lazyConnect: the client is made and dropped without a connection.
    const options = (url: string, given: NonNullable<Parameters<typeof createRedisClient>[1]>) => {
      const client = createRedisClient(url, { lazyConnect: true, ...given });
      client.disconnect();
      return client.options;
    };
    expect(options('redis-sentinel://h:1/m?db=2', { db: 5, connectionName: 'x' })).toMatchObject({
      sentinels: [{ host: 'h', port: 1 }],
      name: 'm',
      db: 2,
      connectionName: 'x',
      sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
    });
    expect(options('redis-sentinel://h:1/m', { sentinelCommandTimeout: 500 })).toMatchObject({
      sentinelCommandTimeout: 500,
    });
  });

  it('recognises the Sentinel schemes in any case, and only them', () => {
    expect(isSentinelUrl('REDIS-SENTINEL://h/m')).toBe(true);
    expect(isSentinelUrl('rediss-sentinel://h/m')).toBe(true);
    expect(isSentinelUrl('redis://h:6379')).toBe(false);
    expect(isSentinelUrl('/tmp/redis.sock')).toBe(false);
  });

  it.each([
    ['http://127.0.0.1:6379', /not a Redis URL; write redis:\/\/host:6379/],
    ['127.0.0.1:6379', /not a Redis URL/],
    ['redis-sentinel://', /lists the Sentinels' addresses/],
    ['redis-sentinel:///mymaster', /lists the Sentinels' addresses/],
    ['redis-sentinel://s1:26379', /names one master group/],
    ['redis-sentinel://s1:26379/', /names one master group/],
    ['redis-sentinel://s1:26379/a/b', /names one master group/],
    ['redis-sentinel://s1:26379,,s2/m', /Sentinel address "" has no host/],
    ['redis-sentinel://s1:port/m', /Sentinel address "s1:port" has no valid port/],
    ['redis-sentinel://s1:70000/m', /has no valid port \(1 to 65535\)/],
    ['redis-sentinel://s1:0/m', /has no valid port/],
    ['redis-sentinel://s1/m?db=x', /db must be a database number/],
    ['redis-sentinel://s1/m?password=pw', /unknown Sentinel URL parameter "password"/],
    ['redis-sentinel://s1/m%zz', /bad %-escape/],
  ])('rejects %s, naming what to change', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(InvalidOptionError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never repeats a password in an error', () => {
    const urls = [
      'redis-sentinel://:hunter2@s1:bad/m',
      'redis-sentinel://:hunter2@s1/m?db=x&sentinelPassword=hunter2',
    ];
    for (const url of urls) expect(() => parseRedisUrl(url)).toThrow(/^(?!.*hunter2)/s);
  });
});
