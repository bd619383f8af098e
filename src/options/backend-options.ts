/** The backend's side of presence: when a user is offline for it, and the webhooks it gets. */
import { MAX_TIMER_MS, optionGroup } from './option-spec.js';

export const BACKEND_OPTIONS = optionGroup('Backend presence', {
  offlineDelayMs: {
    type: 'integer',
    flag: '--offline-delay-ms',
    env: 'PRESENCE_OFFLINE_DELAY_MS',
    library: true,
    default: 5_000,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: 'how long a user with no visible device stays online for webhooks and last seen (docs/backend.md)',
  },
  ownerWarmUpMs: {
    type: 'integer',
    library: true,
    default: 30_000,
    min: 1,
    max: MAX_TIMER_MS,
    unit: 'ms',
    doc: "how long a started node waits before it owns users' transitions",
  },
  webhookUrl: {
    type: 'text',
    flag: '--webhook-url',
    env: 'PRESENCE_WEBHOOK_URL',
    value: '<url>',
    defaultDoc: 'none: no webhooks',
    doc: 'POST signed `user.online` / `user.offline` events here (docs/webhooks.md); https, or http on loopback',
  },
  webhookSecret: {
    type: 'text',
    flag: '--webhook-secret',
    env: 'PRESENCE_WEBHOOK_SECRET',
    value: '<s>',
    secret: true,
    defaultDoc: 'none; required with `--webhook-url`',
    doc: 'key of `X-Presence-Signature` and `webhook-signature` (≥ 32 bytes)',
  },
});
