/** The text of `graph-presence --help`. */
import { DEFAULT_JWT_MAX_AGE_S } from '../gateway/edge/jwt-policy.js';
import { DEFAULTS } from './config.js';

export function helpText(version: string): string {
  return `graph-presence ${version}: friend-graph presence over socket.io

Usage: graph-presence [options]
       graph-presence token <user> [--ttl 1h] [--aud <aud>] [--iss <iss>]
                             print a client token signed with PRESENCE_JWT_SECRET (token --help)

Options (an option wins over its environment variable):
  --port <n>                 HTTP and socket.io port; 0 picks a free one  [PORT, default ${DEFAULTS.port}]
  --host <addr>              address to bind  [HOST, default ${DEFAULTS.host}]
  --node-name <name>         this replica's name, unique in the cluster  [PRESENCE_NODE_NAME, default <hostname>-<pid>]
  --redis <url>              Redis for replication between nodes: redis://, rediss:// (TLS), or
                             Sentinel, redis-sentinel://host:26379,host2:26379/<master name>
                             [?db=<n>&sentinelPassword=<p>] (rediss-sentinel:// for TLS); a Redis
                             URL in --graph and --last-seen may be one too  [REDIS_URL, default: one
                             node, in memory]
  --graph <spec>             graphology:<file.json|file.csv>, redis:<url>, postgres:<connection string>,
                             http:<base url>  [PRESENCE_GRAPH, default: the built-in demo graph]
  --last-seen <spec>         where last seen is kept: memory, redis:<url> or postgres:<connection
                             string>[?schema=<name>]  [PRESENCE_LAST_SEEN, default: memory alone,
                             redis:<the --redis URL> in a cluster]
  --jwt-secret <s>           HS256 secret of client tokens, at least 32 bytes; required unless --demo
                             [PRESENCE_JWT_SECRET: pass secrets this way, options show in ps]
  --jwt-max-age-s <n>        longest token lifetime: exp further ahead or iat older is refused
                             [PRESENCE_JWT_MAX_AGE_S, default ${DEFAULT_JWT_MAX_AGE_S}]
  --jwt-audience <aud>       tokens must carry this aud  [PRESENCE_JWT_AUDIENCE, default: not checked]
  --jwt-issuer <iss>         tokens must carry this iss  [PRESENCE_JWT_ISSUER, default: not checked]
  --jwt-allow-no-exp         accept tokens without exp (unsafe: such a token never expires)
                             [PRESENCE_JWT_ALLOW_NO_EXP=true]
  --admin-token <t>          bearer token of the admin HTTP routes and /metrics (at least 16
                             characters)  [PRESENCE_ADMIN_TOKEN, default: admin routes off]
  --metrics-listen <addr>    also serve /metrics alone, without auth, on <host>:<port> (a private
                             scrape network)  [PRESENCE_METRICS_LISTEN, default: none]
  --cluster-secret <s>       key of the MACs on frames between nodes (at least 32 bytes, the same
                             on every node; prefer the variable: options show in ps)  [PRESENCE_CLUSTER_SECRET]
  --cluster-secret-next <s>  rotation phase 1: also accept the next key (sign with the current)
                             [PRESENCE_CLUSTER_SECRET_NEXT]
  --cluster-secret-previous <s>  rotation phase 2: also accept the previous key (sign with the new)
                             [PRESENCE_CLUSTER_SECRET_PREVIOUS]
  --channel-prefix <p>       namespace of the cluster's Redis channels, to keep clusters apart on
                             one Redis  [PRESENCE_CHANNEL_PREFIX, default: graph-presence, and with
                             a cluster secret graph-presence-<a tag derived from it>]
  --demo                     serve the demo page and demo tokens for anyone (never in production);
                             without a JWT secret, a random one
  --broadcast-period-ms <n>  heartbeat/delta period  [default ${DEFAULTS.broadcastPeriodMs}]
  --down-period-ms <n>       silence before a replica is down; at least 12 × the broadcast period
                             [default 20 × the broadcast period, at least ${DEFAULTS.downPeriodMs}]
  --permdown-period-ms <n>   silence before its entries are deleted  [default ${DEFAULTS.permdownPeriodMs}]
  --max-batch-delay-ms <n>   longest wait to merge a socket's diffs into one message under load;
                             0: merge one event-loop turn's only  [PRESENCE_MAX_BATCH_DELAY_MS, default ${DEFAULTS.maxBatchDelayMs}]
  --leave-grace-ms <n>       how long a dropped connection stays visible for a reconnect of its
                             device (0: leave at once)  [PRESENCE_LEAVE_GRACE_MS, default ${DEFAULTS.leaveGraceMs}]
  --offline-delay-ms <n>     how long a user with no visible device stays online for webhooks and
                             last seen (a device move within it is no event)  [PRESENCE_OFFLINE_DELAY_MS, default ${DEFAULTS.offlineDelayMs}]
  --max-inbound-per-second <n>  packets one connection may send per second, any event (bursts of
                             4×); over it, it is closed  [PRESENCE_MAX_INBOUND_PER_SECOND, default ${DEFAULTS.maxInboundPerSecond}]
  --handshakes-per-second <n>  handshakes one address may make per second (bursts of 5×; 0: no
                             limit)  [PRESENCE_HANDSHAKES_PER_SECOND, default ${DEFAULTS.handshakesPerSecond}]
  --trust-forwarded-for      limit handshakes by the first X-Forwarded-For address (only behind a
                             proxy you run that sets it)  [PRESENCE_TRUST_FORWARDED_FOR]
  --subscription-recheck-ms <n>
                             re-check each connection's friends against the graph this often, in
                             case a graph change was missed (0: never)
                             [PRESENCE_SUBSCRIPTION_RECHECK_MS, default ${DEFAULTS.subscriptionRecheckMs}]
  --webhook-url <url>        POST signed user.online/user.offline events here (docs/webhooks.md);
                             https, or http on loopback  [PRESENCE_WEBHOOK_URL, default: none]
  --webhook-secret <s>       key of the events' signatures, at least 32 bytes; required
                             with --webhook-url  [PRESENCE_WEBHOOK_SECRET: prefer the variable]
  -h, --help                 print this help
  -v, --version              print the version

Without a JWT secret the node starts only with --demo. --demo on an address other than
loopback prints a warning: anyone who reaches it can be anyone.

HTTP: GET /healthz, GET /readyz (ready: bus up, synced, graph answering); with --demo also GET / (demo page), GET /demo/token?user=<id>; with
--admin-token GET /metrics and the admin routes (docs/usage.md, "Admin HTTP routes").
Logs: JSON lines (pino) on stderr; LOG_LEVEL sets the level (default info).
Exit codes: 0 after SIGTERM/SIGINT, 2 for an invalid option or an unreachable service.
`;
}
