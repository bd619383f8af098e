/**
 * `graph-presence token <user> [--ttl 1h] [--aud <aud>] [--iss <iss>]`: prints a client token a
 * node with the same PRESENCE_JWT_SECRET accepts (docs/usage.md, "Minting a token"). The secret
 * comes only from the environment (an option shows in ps); aud and iss default to the node's
 * PRESENCE_JWT_AUDIENCE and PRESENCE_JWT_ISSUER, so a token fits the node run with the same
 * variables.
 */
import { parseArgs } from 'node:util';
import { MIN_JWT_SECRET_BYTES } from '../gateway/edge/authentication.js';
import { createPresenceToken, DEFAULT_TOKEN_TTL } from '../gateway/edge/presence-token.js';
import { TOKEN_OPTIONS, TOKEN_SECRET_VARIABLE } from '../options/index.js';
import { CliError } from './cli-error.js';
import { type Environment, nonEmpty, pick } from './settings.js';

export const TOKEN_USAGE = `Usage: graph-presence token <user> [--ttl <duration>] [--aud <aud>] [--iss <iss>]

Prints an HS256 client token for <user> (its sub), signed with PRESENCE_JWT_SECRET.
  --ttl <duration>   lifetime: seconds or 90s, 15m, 1h, 7d; at most the node's
                     --jwt-max-age-s  [default ${DEFAULT_TOKEN_TTL}]
  --aud <aud>        the aud claim  [PRESENCE_JWT_AUDIENCE, default: none]
  --iss <iss>        the iss claim  [PRESENCE_JWT_ISSUER, default: none]
`;

/**
 * What `graph-presence token …` prints (`argv` after `token`): the token, or the usage for
 * --help. Throws a CliError naming what to change.
 */
export async function tokenCommand(argv: readonly string[], env: Environment): Promise<string> {
  let parsed: ReturnType<typeof parseTokenArgs>;
  try {
    parsed = parseTokenArgs(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`token: ${message}; ${TOKEN_USAGE.split('\n')[0]}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return TOKEN_USAGE;
  const [user, extra] = positionals;
  if (user === undefined || user.trim() === '') {
    throw new CliError(
      `token: give the user id, e.g. graph-presence token alice; ${TOKEN_USAGE.split('\n')[0]}`,
    );
  }
  if (extra !== undefined) {
    throw new CliError(`token: one user id only, got also "${extra}"`);
  }
  const secret = env[TOKEN_SECRET_VARIABLE];
  if (secret === undefined || secret === '') {
    throw new CliError(
      `token: no JWT secret: set PRESENCE_JWT_SECRET to the nodes' secret (at least ${MIN_JWT_SECRET_BYTES} bytes)`,
    );
  }
  if (Buffer.byteLength(secret, 'utf8') < MIN_JWT_SECRET_BYTES) {
    throw new CliError(
      `token: PRESENCE_JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes, the nodes' secret`,
    );
  }
  const { aud, iss } = TOKEN_OPTIONS.options;
  const audience = nonEmpty(pick(aud.flag, values.aud, env, aud.env), 'an aud');
  const issuer = nonEmpty(pick(iss.flag, values.iss, env, iss.env), 'an iss');
  const ttl = values.ttl ?? DEFAULT_TOKEN_TTL;
  try {
    const token = await createPresenceToken({
      secret,
      userId: user,
      ttl,
      ...(audience === undefined ? {} : { audience }),
      ...(issuer === undefined ? {} : { issuer }),
    });
    return `${token}\n`;
  } catch (error) {
    // The library names its fields (ttl, userId); the command names its options.
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `token: ${message.replace(/^ttl /, '--ttl ').replace(/^userId: /, '<user>: ')}`,
    );
  }
}

function parseTokenArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      ttl: { type: 'string' },
      aud: { type: 'string' },
      iss: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
}
