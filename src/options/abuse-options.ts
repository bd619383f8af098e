/** Abuse limits of the command line (PROTOCOL.md, "Limits"). */
import { optionGroup } from './option-spec.js';

export const ABUSE_OPTIONS = optionGroup('Abuse limits (PROTOCOL.md, "Limits")', {
  maxInboundPerSecond: {
    type: 'integer',
    flag: '--max-inbound-per-second',
    env: 'PRESENCE_MAX_INBOUND_PER_SECOND',
    default: 50,
    min: 1,
    max: 1_000_000,
    doc: 'packets one connection may send per second, any event (bursts of 4×); over it: `too_many_packets`, disconnected',
  },
  handshakesPerSecond: {
    type: 'integer',
    flag: '--handshakes-per-second',
    env: 'PRESENCE_HANDSHAKES_PER_SECOND',
    default: 20,
    min: 0,
    max: 1_000_000,
    doc: 'handshakes one address may make per second, before authentication (bursts of 5×; 0: no limit)',
  },
  trustForwardedFor: {
    type: 'flag',
    flag: '--trust-forwarded-for',
    env: 'PRESENCE_TRUST_FORWARDED_FOR',
    defaultDoc: 'off',
    doc: '`true`/`1`: limit handshakes by the first `X-Forwarded-For` address (only behind your own proxy)',
  },
});
