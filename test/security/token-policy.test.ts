/**
 * Token policy over real sockets: a token must expire (`exp` required by default), within the
 * maximum token lifetime (`exp: 1e300` is no lifetime), must not be older than it (`iat`), and
 * must carry the configured audience and issuer. Every refusal says only `unauthorized`. The
 * command line's options and variables reach the same checks.
 */
import { type JWTPayload, SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { createPresenceServer } from '../../src/index.js';
import { killAll, startCli, stopCli } from '../cli/support/cli-process.js';
import { SECRET, startTestServer, type TestServer } from '../gateway/support/test-server.js';

const HOUR = 3_600;
const DAY = 24 * HOUR;
const now = () => Math.floor(Date.now() / 1000);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => killAll());

/** A token with exactly these claims (nothing added), signed with `secret`. */
function sign(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

/** `connected`, or the connect_error message. */
async function outcome(url: string, token: string): Promise<string> {
  const socket = io(`${url}/presence`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error) => resolve(error.message));
    });
  } finally {
    socket.disconnect();
  }
}

describe('default policy: exp required, at most a day ahead, iat at most a day old', () => {
  it('accepts a token of an hour, with or without iat', async () => {
    server = await startTestServer();
    expect(await outcome(server.url, await sign({ sub: 'alice', exp: now() + HOUR }))).toBe(
      'connected',
    );
    const withIat = await sign({ sub: 'alice', iat: now(), exp: now() + HOUR });
    expect(await outcome(server.url, withIat)).toBe('connected');
  });

  it.each([
    ['no exp', () => ({ sub: 'alice' })],
    ['no exp but a fresh iat', () => ({ sub: 'alice', iat: now() })],
    ['exp 1e300', () => ({ sub: 'alice', exp: 1e300 })],
    ['exp two days ahead', () => ({ sub: 'alice', exp: now() + 2 * DAY })],
    ['iat two days old', () => ({ sub: 'alice', iat: now() - 2 * DAY, exp: now() + HOUR })],
    ['iat an hour in the future', () => ({ sub: 'alice', iat: now() + HOUR, exp: now() + HOUR })],
  ])('refuses a token with %s as unauthorized', async (_name, claims) => {
    server = await startTestServer();
    expect(await outcome(server.url, await sign(claims()))).toBe('unauthorized');
  });
});

describe('jwtPolicy options', () => {
  it('requireExp: false accepts a token without exp (unsafe, opt-in)', async () => {
    server = await startTestServer({ jwtPolicy: { requireExp: false } });
    expect(await outcome(server.url, await sign({ sub: 'alice' }))).toBe('connected');
    // The lifetime still bounds the tokens that do say when they expire.
    expect(await outcome(server.url, await sign({ sub: 'alice', exp: 1e300 }))).toBe(
      'unauthorized',
    );
  });

  it('maxAgeS bounds exp and iat', async () => {
    server = await startTestServer({ jwtPolicy: { maxAgeS: 600 } });
    expect(await outcome(server.url, await sign({ sub: 'a', exp: now() + 300 }))).toBe('connected');
    expect(await outcome(server.url, await sign({ sub: 'a', exp: now() + HOUR }))).toBe(
      'unauthorized',
    );
    const old = await sign({ sub: 'a', iat: now() - HOUR, exp: now() + 60 });
    expect(await outcome(server.url, old)).toBe('unauthorized');
  });

  it('audience and issuer must match when configured', async () => {
    server = await startTestServer({
      jwtPolicy: { audience: 'presence', issuer: ['https://app.example', 'https://old.example'] },
    });
    const base = { sub: 'alice', exp: now() + HOUR };
    const good = { ...base, aud: 'presence', iss: 'https://old.example' };
    expect(await outcome(server.url, await sign(good))).toBe('connected');
    for (const claims of [
      base,
      { ...base, iss: 'https://app.example' },
      { ...base, aud: 'presence' },
      { ...good, aud: 'chat' },
      { ...good, iss: 'https://evil.example' },
    ]) {
      expect(await outcome(server.url, await sign(claims))).toBe('unauthorized');
    }
  });

  it.each([
    ['maxAgeS 0', { jwtSecret: SECRET, jwtPolicy: { maxAgeS: 0 } }],
    ['maxAgeS 1.5', { jwtSecret: SECRET, jwtPolicy: { maxAgeS: 1.5 } }],
    ['maxAgeS beyond a year', { jwtSecret: SECRET, jwtPolicy: { maxAgeS: 400 * DAY } }],
    ['an empty audience', { jwtSecret: SECRET, jwtPolicy: { audience: '' } }],
    ['an issuer that is no string', { jwtSecret: SECRET, jwtPolicy: { issuer: 42 } }],
    ['a policy with authenticate', { authenticate: () => null, jwtPolicy: { maxAgeS: 60 } }],
  ])('refuses %s with InvalidOptionError', (_name, options) => {
    const graph = { visibleTo: async () => [], subscribe: () => () => {}, close: async () => {} };
    expect(() => createPresenceServer({ graph, ...options } as never)).toThrow(InvalidOptionError);
  });
});

describe('the command line applies the policy', () => {
  it('--jwt-audience, --jwt-issuer and PRESENCE_JWT_MAX_AGE_S reach the gateway', async () => {
    const { run, url } = await startCli(
      ['--port', '0', '--jwt-audience', 'presence', '--jwt-issuer', 'app'],
      { PRESENCE_JWT_SECRET: SECRET, PRESENCE_JWT_MAX_AGE_S: '600' },
    );
    try {
      const good = { sub: 'alice', aud: 'presence', iss: 'app', exp: now() + 300 };
      expect(await outcome(url, await sign(good))).toBe('connected');
      expect(await outcome(url, await sign({ ...good, aud: 'chat' }))).toBe('unauthorized');
      expect(await outcome(url, await sign({ ...good, iss: 'other' }))).toBe('unauthorized');
      expect(await outcome(url, await sign({ ...good, exp: now() + HOUR }))).toBe('unauthorized');
      const { exp: _exp, ...noExp } = good;
      expect(await outcome(url, await sign(noExp))).toBe('unauthorized');
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });

  it('--jwt-allow-no-exp accepts a token without exp', async () => {
    const { run, url } = await startCli(['--port', '0', '--jwt-allow-no-exp'], {
      PRESENCE_JWT_SECRET: SECRET,
    });
    try {
      expect(await outcome(url, await sign({ sub: 'alice' }))).toBe('connected');
    } finally {
      expect((await stopCli(run)).code).toBe(0);
    }
  });
});
