/**
 * The command line, parsed strictly with node:util parseArgs: unknown options, missing values
 * and positional arguments are CliErrors naming what to change.
 */
import { parseArgs } from 'node:util';
import { CliError } from './cli-error.js';

export interface RawArguments {
  readonly port?: string;
  readonly host?: string;
  readonly nodeName?: string;
  readonly redis?: string;
  readonly graph?: string;
  readonly lastSeen?: string;
  readonly jwtSecret?: string;
  readonly adminToken?: string;
  readonly jwtAllowNoExp: boolean;
  readonly jwtMaxAgeS?: string;
  readonly jwtAudience?: string;
  readonly jwtIssuer?: string;
  readonly metricsListen?: string;
  readonly clusterSecret?: string;
  readonly clusterSecretPrevious?: string;
  readonly clusterSecretNext?: string;
  readonly channelPrefix?: string;
  readonly demo: boolean;
  readonly broadcastPeriodMs?: string;
  readonly downPeriodMs?: string;
  readonly permdownPeriodMs?: string;
  readonly maxBatchDelayMs?: string;
  readonly leaveGraceMs?: string;
  readonly offlineDelayMs?: string;
  readonly maxInboundPerSecond?: string;
  readonly handshakesPerSecond?: string;
  readonly trustForwardedFor: boolean;
  readonly subscriptionRecheckMs?: string;
  readonly webhookUrl?: string;
  readonly webhookSecret?: string;
  readonly help: boolean;
  readonly version: boolean;
}

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'node-name': { type: 'string' },
  redis: { type: 'string' },
  graph: { type: 'string' },
  'last-seen': { type: 'string' },
  'jwt-secret': { type: 'string' },
  'admin-token': { type: 'string' },
  'jwt-allow-no-exp': { type: 'boolean' },
  'jwt-max-age-s': { type: 'string' },
  'jwt-audience': { type: 'string' },
  'jwt-issuer': { type: 'string' },
  'metrics-listen': { type: 'string' },
  'cluster-secret': { type: 'string' },
  'cluster-secret-previous': { type: 'string' },
  'cluster-secret-next': { type: 'string' },
  'channel-prefix': { type: 'string' },
  demo: { type: 'boolean' },
  'broadcast-period-ms': { type: 'string' },
  'down-period-ms': { type: 'string' },
  'permdown-period-ms': { type: 'string' },
  'max-batch-delay-ms': { type: 'string' },
  'leave-grace-ms': { type: 'string' },
  'offline-delay-ms': { type: 'string' },
  'max-inbound-per-second': { type: 'string' },
  'handshakes-per-second': { type: 'string' },
  'trust-forwarded-for': { type: 'boolean' },
  'subscription-recheck-ms': { type: 'string' },
  'webhook-url': { type: 'string' },
  'webhook-secret': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const HELP_HINT = 'run graph-presence --help for the options';

export function parseArguments(argv: readonly string[]): RawArguments {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new CliError(describeParseError(error));
  }
  const [positional] = parsed.positionals;
  if (positional !== undefined) {
    throw new CliError(
      `unexpected argument "${positional}": options start with -- (e.g. --port 4000); ${HELP_HINT}`,
    );
  }
  const v = parsed.values;
  return {
    port: v.port,
    host: v.host,
    nodeName: v['node-name'],
    redis: v.redis,
    graph: v.graph,
    lastSeen: v['last-seen'],
    jwtSecret: v['jwt-secret'],
    adminToken: v['admin-token'],
    jwtAllowNoExp: v['jwt-allow-no-exp'] === true,
    jwtMaxAgeS: v['jwt-max-age-s'],
    jwtAudience: v['jwt-audience'],
    jwtIssuer: v['jwt-issuer'],
    metricsListen: v['metrics-listen'],
    clusterSecret: v['cluster-secret'],
    clusterSecretPrevious: v['cluster-secret-previous'],
    clusterSecretNext: v['cluster-secret-next'],
    channelPrefix: v['channel-prefix'],
    demo: v.demo === true,
    broadcastPeriodMs: v['broadcast-period-ms'],
    downPeriodMs: v['down-period-ms'],
    permdownPeriodMs: v['permdown-period-ms'],
    maxBatchDelayMs: v['max-batch-delay-ms'],
    leaveGraceMs: v['leave-grace-ms'],
    offlineDelayMs: v['offline-delay-ms'],
    maxInboundPerSecond: v['max-inbound-per-second'],
    handshakesPerSecond: v['handshakes-per-second'],
    trustForwardedFor: v['trust-forwarded-for'] === true,
    subscriptionRecheckMs: v['subscription-recheck-ms'],
    webhookUrl: v['webhook-url'],
    webhookSecret: v['webhook-secret'],
    help: v.help === true,
    version: v.version === true,
  };
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const option = /'([^']+)'/.exec(text)?.[1] ?? 'option';
      return `unknown option ${option}; ${HELP_HINT}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /'(--?[\w-]+)/.exec(text)?.[1];
      if (option && /argument missing|ambiguous/.test(text)) {
        return `${option} needs a value (e.g. ${option} <value>); ${HELP_HINT}`;
      }
      if (option && /does not take an argument/.test(text))
        return `${option} takes no value (write ${option} alone); ${HELP_HINT}`;
      return `${text.split('\n')[0]}; ${HELP_HINT}`;
    }
    default:
      return `${text.split('\n')[0]}; ${HELP_HINT}`;
  }
}
