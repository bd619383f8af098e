/** The text of `graph-presence --help`. */
import { DEFAULTS } from './config.js';

export function helpText(version: string): string {
  return `graph-presence ${version}: friend-graph presence over socket.io

Usage: graph-presence [options]

Options (an option wins over its environment variable):
  --port <n>                 HTTP and socket.io port; 0 picks a free one  [PORT, default ${DEFAULTS.port}]
  --host <addr>              address to bind  [HOST, default ${DEFAULTS.host}]
  --node-name <name>         this replica's name, unique in the cluster  [PRESENCE_NODE_NAME, default <hostname>-<pid>]
  --redis <url>              Redis for replication between nodes  [REDIS_URL, default: one node, in memory]
  --graph <spec>             graphology:<file.json|file.csv>, redis:<url>, postgres:<connection string>,
                             http:<base url>  [PRESENCE_GRAPH, default: the built-in demo graph]
  --jwt-secret <s>           HS256 secret of client tokens; required unless --demo  [PRESENCE_JWT_SECRET]
  --admin-token <t>          bearer token of the admin HTTP routes (at least 16 characters)
                             [PRESENCE_ADMIN_TOKEN, default: admin routes off]
  --cluster-secret <s>       key of the MACs on frames between nodes (at least 32 bytes, the same
                             on every node; prefer the variable: options show in ps)  [PRESENCE_CLUSTER_SECRET]
  --cluster-secret-previous <s>  the previous key, still accepted during a rotation
                             [PRESENCE_CLUSTER_SECRET_PREVIOUS]
  --demo                     serve the demo page and demo tokens (never in production)
  --broadcast-period-ms <n>  heartbeat/delta period  [default ${DEFAULTS.broadcastPeriodMs}]
  --down-period-ms <n>       silence before a replica is down  [default ${DEFAULTS.downPeriodMs}]
  --permdown-period-ms <n>   silence before its entries are deleted  [default ${DEFAULTS.permdownPeriodMs}]
  --max-batch-delay-ms <n>   longest wait to merge a socket's diffs into one message under load;
                             0: merge one event-loop turn's only  [PRESENCE_MAX_BATCH_DELAY_MS, default ${DEFAULTS.maxBatchDelayMs}]
  --leave-grace-ms <n>       how long a dropped connection stays visible for a reconnect of its
                             device (0: leave at once)  [PRESENCE_LEAVE_GRACE_MS, default ${DEFAULTS.leaveGraceMs}]
  -h, --help                 print this help
  -v, --version              print the version

With neither --jwt-secret nor --demo (nor PRESENCE_JWT_SECRET), the node starts in demo mode
with a warning: demo tokens for anyone, a random secret. Never run that in production.

HTTP: GET /healthz, GET /metrics; with --demo also GET / (demo page), GET /demo/token?user=<id>;
with --admin-token the admin routes (docs/usage.md, "Admin HTTP routes").
Logs: JSON lines (pino) on stderr; LOG_LEVEL sets the level (default info).
Exit codes: 0 after SIGTERM/SIGINT, 2 for an invalid option or an unreachable service.
`;
}
