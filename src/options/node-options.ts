/** Where a node listens, what it is called, and the services it uses (command line only). */
import { optionGroup } from './option-spec.js';

export const NODE_OPTIONS = optionGroup('Node', {
  port: {
    type: 'integer',
    flag: '--port',
    env: 'PORT',
    default: 4000,
    min: 0,
    max: 65_535,
    doc: 'HTTP and socket.io port; 0 picks a free one',
  },
  host: {
    type: 'text',
    flag: '--host',
    env: 'HOST',
    value: '<addr>',
    default: '127.0.0.1',
    doc: 'address to bind',
  },
  nodeName: {
    type: 'text',
    flag: '--node-name',
    env: 'PRESENCE_NODE_NAME',
    value: '<name>',
    defaultDoc: '`<hostname>-<pid>`',
    doc: "this replica's name, unique in the cluster",
  },
  redis: {
    type: 'text',
    flag: '--redis',
    env: 'REDIS_URL',
    value: '<url>',
    defaultDoc: 'none: one node, in-memory transport',
    doc: 'Redis for replication between nodes: `redis://`, `rediss://` (TLS), `redis-sentinel://host:26379,host2:26379/<master name>` (`rediss-sentinel://`: TLS; docs/usage.md, "Redis with failover"); a Redis URL of `--graph` and `--last-seen` may be one too',
  },
  channelPrefix: {
    type: 'text',
    flag: '--channel-prefix',
    env: 'PRESENCE_CHANNEL_PREFIX',
    value: '<p>',
    defaultDoc:
      '`graph-presence`, with a cluster secret `graph-presence-<tag>` (a tag derived from it)',
    doc: "namespace of the cluster's Redis channels: keeps clusters apart on one Redis (1 to 100 printable ASCII characters, the same on every node)",
  },
  graph: {
    type: 'text',
    flag: '--graph',
    env: 'PRESENCE_GRAPH',
    value: '<spec>',
    defaultDoc: 'built-in demo graph',
    doc: '`graphology:<file.json or file.csv>`, `redis:<url>`, `postgres:<connection string>`, `http:<base url>`',
  },
  lastSeen: {
    type: 'text',
    flag: '--last-seen',
    env: 'PRESENCE_LAST_SEEN',
    value: '<spec>',
    defaultDoc: '`memory`; with `--redis`, its URL',
    doc: 'where last seen is kept: `memory`, `redis:<url>`, `postgres:<url>[?schema=<name>]` (docs/last-seen.md)',
  },
  demo: {
    type: 'flag',
    flag: '--demo',
    defaultDoc: 'off',
    doc: 'serve the demo page and demo tokens for anyone (never in production); without a JWT secret, a random one',
  },
});
