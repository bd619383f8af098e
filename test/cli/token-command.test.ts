/**
 * `graph-presence token` and createPresenceToken(): tokens they mint are accepted by a real node
 * (a CLI process with the same PRESENCE_JWT_SECRET and audience), a token without the node's
 * audience is refused, and bad input exits 2 with one line naming what to change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPresenceToken } from '../../src/index.js';
import { waitFor } from '../support/wait-for.js';
import { type CliRun, killAll, runCli, startCli, stopCli } from './support/cli-process.js';
import { connectClient, type WatchedClient } from './support/presence-clients.js';

afterAll(() => killAll());

const SECRET = 'token-command-test-secret-of-32-bytes!';
const AUDIENCE = 'presence-test';

async function mint(args: string[], env: Record<string, string> = {}) {
  const run = runCli(['token', ...args], { PRESENCE_JWT_SECRET: SECRET, ...env });
  const { code } = await run.exited;
  return { code, stdout: run.stdout, lines: run.plainStderrLines(), stderr: run.stderr };
}

/** The claims of a JWT, not verified: the node verifies. */
const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;

describe('tokens a real node accepts', () => {
  let node: CliRun;
  let url: string;
  const clients: WatchedClient[] = [];
  beforeAll(async () => {
    ({ run: node, url } = await startCli(['--port', '0'], {
      PRESENCE_JWT_SECRET: SECRET,
      PRESENCE_JWT_AUDIENCE: AUDIENCE,
    }));
  });
  afterAll(async () => {
    for (const { client } of clients) client.disconnect();
    await stopCli(node);
  });

  it('signs in with a token from graph-presence token, aud from the node variable', async () => {
    const minted = await mint(['alice', '--ttl', '10m'], { PRESENCE_JWT_AUDIENCE: AUDIENCE });
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const body = claims(token);
    expect(body['sub']).toBe('alice');
    expect(body['aud']).toBe(AUDIENCE);
    expect(Number(body['exp']) - Number(body['iat'])).toBe(600);
    clients.push(await connectClient(url, 'alice', { token }));
  });

  it('signs in with a token from createPresenceToken(), and friends see each other', async () => {
    const token = await createPresenceToken({ secret: SECRET, userId: 'bob', audience: AUDIENCE });
    expect(Number(claims(token)['exp']) - Number(claims(token)['iat'])).toBe(3600);
    const bob = await connectClient(url, 'bob', { token });
    clients.push(bob);
    await waitFor(() => bob.users().includes('alice'), { description: 'bob sees alice' });
  });

  it('a token without the audience the node requires is refused', async () => {
    const minted = await mint(['carol', '--ttl', '10m']);
    expect(minted.code).toBe(0);
    await expect(connectClient(url, 'carol', { token: minted.stdout.trim() })).rejects.toThrow(
      /unauthorized/,
    );
  });

  it('a token that lives longer than the node allows is refused', async () => {
    const token = await createPresenceToken({
      secret: SECRET,
      userId: 'carol',
      audience: AUDIENCE,
      ttl: '2d',
    });
    await expect(connectClient(url, 'carol', { token })).rejects.toThrow(/unauthorized/);
  });
});

describe('graph-presence token: bad input exits 2 with one line naming what to change', () => {
  it.each([
    ['no secret', ['alice'], { PRESENCE_JWT_SECRET: '' }, 'PRESENCE_JWT_SECRET'],
    ['a short secret', ['alice'], { PRESENCE_JWT_SECRET: 'short' }, 'PRESENCE_JWT_SECRET'],
    ['no user', [], {}, 'user id'],
    ['an empty user', [''], {}, 'user id'],
    ['a user id too long', ['u'.repeat(300)], {}, '<user>'],
    ['a bad ttl', ['alice', '--ttl', 'soon'], {}, '--ttl'],
    ['a zero ttl', ['alice', '--ttl', '0'], {}, '--ttl'],
    ['a ttl over a year', ['alice', '--ttl', '400d'], {}, '--ttl'],
    ['an empty aud', ['alice', '--aud', ''], {}, '--aud'],
    ['an unknown option', ['alice', '--expires', '1h'], {}, '--expires'],
    ['two users', ['alice', 'bob'], {}, 'bob'],
  ])('%s', async (_, args, env, names) => {
    const { code, stdout, lines, stderr } = await mint(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(names);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('token --help prints the usage and exits 0', async () => {
    const { code, stdout } = await mint(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('graph-presence token <user>');
  });
});

describe('createPresenceToken: bad input is an InvalidOptionError', () => {
  it.each([
    ['a short secret', { secret: 'short', userId: 'alice' }],
    ['an empty user', { secret: SECRET, userId: '' }],
    ['a bad ttl', { secret: SECRET, userId: 'alice', ttl: '1w' }],
    ['a fractional ttl', { secret: SECRET, userId: 'alice', ttl: 1.5 }],
    ['an empty issuer', { secret: SECRET, userId: 'alice', issuer: ' ' }],
  ])('%s', async (_, options) => {
    await expect(createPresenceToken(options)).rejects.toMatchObject({
      code: 'PRESENCE_INVALID_OPTION',
    });
  });
});
