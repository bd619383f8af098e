/**
 * The webhook options on the command line: --webhook-url / PRESENCE_WEBHOOK_URL and
 * --webhook-secret / PRESENCE_WEBHOOK_SECRET, both or neither (else exit 2 with one line naming
 * the option), checked like the library's options; plain http beyond loopback warned about at
 * start, and a secret on the command line warned about like the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { helpText } from '../../src/cli/help.js';
import { killAll, runCli, startCli, stopCli } from './support/cli-process.js';
import { testConfig as config } from './support/test-config.js';

const SECRET = 'a-webhook-secret-of-at-least-32-bytes';
const URL_ = 'https://app.example.com/hooks/presence';

afterAll(killAll);

describe('--webhook-url and --webhook-secret', () => {
  it('are off by default; read the options, then the variables', () => {
    expect(config([]).webhook).toBeUndefined();
    expect(config(['--webhook-url', URL_, '--webhook-secret', SECRET]).webhook).toEqual({
      url: URL_,
      secret: SECRET,
      warning: undefined,
    });
    expect(
      config([], { PRESENCE_WEBHOOK_URL: URL_, PRESENCE_WEBHOOK_SECRET: SECRET }).webhook,
    ).toEqual({ url: URL_, secret: SECRET, warning: undefined });
    const both = config(['--webhook-url', 'https://other.example.com/h'], {
      PRESENCE_WEBHOOK_URL: URL_,
      PRESENCE_WEBHOOK_SECRET: SECRET,
    });
    expect(both.webhook?.url).toBe('https://other.example.com/h');
    const help = helpText('0.0.0');
    expect(help).toContain('--webhook-url');
    expect(help).toContain('PRESENCE_WEBHOOK_SECRET');
  });

  it('a URL without a secret, or a secret without a URL, names the missing option', () => {
    expect(() => config(['--webhook-url', URL_])).toThrow(CliError);
    expect(() => config(['--webhook-url', URL_])).toThrow(
      /^--webhook-url needs --webhook-secret \(PRESENCE_WEBHOOK_SECRET\)/,
    );
    expect(() => config([], { PRESENCE_WEBHOOK_SECRET: SECRET })).toThrow(
      /^PRESENCE_WEBHOOK_SECRET \(environment, or --webhook-secret\) needs --webhook-url/,
    );
  });

  it('refuses a bad URL or a short secret, naming where it came from', () => {
    for (const bad of ['not a url', 'ftp://app.example.com/', 'https://u:p@app.example.com/']) {
      expect(() => config(['--webhook-url', bad, '--webhook-secret', SECRET])).toThrow(
        /^--webhook-url /,
      );
    }
    expect(() =>
      config([], { PRESENCE_WEBHOOK_URL: 'x', PRESENCE_WEBHOOK_SECRET: SECRET }),
    ).toThrow(/^PRESENCE_WEBHOOK_URL \(environment, or --webhook-url\) must be an absolute URL/);
    expect(() => config(['--webhook-url', URL_, '--webhook-secret', 'short'])).toThrow(
      /^--webhook-secret must be at least 32 bytes \(got 5\)/,
    );
  });

  it('plain http: fine on loopback, a warning beyond it; a secret option is listed as on the command line', () => {
    const local = config([], {
      PRESENCE_WEBHOOK_URL: 'http://127.0.0.1:9000/h',
      PRESENCE_WEBHOOK_SECRET: SECRET,
    });
    expect(local.webhook?.warning).toBeUndefined();
    expect(local.secretsOnCommandLine).toEqual([]);
    const remote = config(['--webhook-url', 'http://10.1.2.3/h', '--webhook-secret', SECRET]);
    expect(remote.webhook?.warning).toMatch(/plain http/);
    expect(remote.secretsOnCommandLine).toEqual([
      { option: '--webhook-secret', variable: 'PRESENCE_WEBHOOK_SECRET' },
    ]);
  });

  it('a URL without a secret exits 2 with one line', async () => {
    const run = runCli(['--port', '0', '--demo'], { PRESENCE_WEBHOOK_URL: URL_ });
    expect((await run.exited).code).toBe(2);
    expect(run.plainStderrLines()).toEqual([
      expect.stringMatching(/^graph-presence: PRESENCE_WEBHOOK_URL .*needs --webhook-secret/),
    ]);
  });

  it('logs the plain-http warning and the secret-on-the-command-line warning at start', async () => {
    const { run } = await startCli([
      '--port',
      '0',
      '--demo',
      '--webhook-url',
      'http://10.1.2.3/hooks?token=hidden',
      '--webhook-secret',
      SECRET,
    ]);
    await stopCli(run);
    const logs = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string });
    expect(logs.filter((l) => l.msg?.includes('plain http'))).toHaveLength(1);
    expect(logs.some((l) => l.msg?.includes('--webhook-secret') && l.msg.includes('ps'))).toBe(
      true,
    );
    expect(run.stderr).not.toContain('token=hidden');
    expect(run.stderr).not.toContain(SECRET);
  });
});
