/**
 * The options of `graph-presence token` (src/cli/token-command.ts), a command of its own: not the
 * node's, so in no group of OPTION_GROUPS (the node's parser, `--help` and tables leave them out).
 * Its variables are the node's own (security-options.ts): a token fits the node run with them.
 */
import { optionGroup } from './option-spec.js';
import { SECURITY_OPTIONS } from './security-options.js';

const { jwtSecret, jwtAudience, jwtIssuer } = SECURITY_OPTIONS.options;

export const TOKEN_OPTIONS = optionGroup('Token', {
  ttl: {
    type: 'text',
    flag: '--ttl',
    value: '<duration>',
    doc: "lifetime: seconds or 90s, 15m, 1h, 7d; at most the node's `--jwt-max-age-s`",
  },
  aud: {
    type: 'text',
    flag: '--aud',
    env: jwtAudience.env,
    value: '<aud>',
    defaultDoc: 'none',
    doc: 'the `aud` claim',
  },
  iss: {
    type: 'text',
    flag: '--iss',
    env: jwtIssuer.env,
    value: '<iss>',
    defaultDoc: 'none',
    doc: 'the `iss` claim',
  },
});

/** The variable the token's secret is read from: the node's JWT secret, never a flag. */
export const TOKEN_SECRET_VARIABLE = jwtSecret.env;
