/**
 * The webhook sender's options, checked: where events go, the signing secret, and the bounds
 * that keep a slow or dead receiver from costing presence anything (docs/webhooks.md, "Options").
 */
import { isIPv4 } from 'node:net';
import { positiveOption } from '../domain/positive-option.js';
import { InvalidOptionError } from '../errors.js';

/** HMAC-SHA256's output size: a shorter key lowers the bar for guessing it. */
export const MIN_WEBHOOK_SECRET_BYTES = 32;

export const WEBHOOK_DEFAULTS = Object.freeze({
  timeoutMs: 5_000,
  maxQueue: 10_000,
  maxAttempts: 10,
  concurrency: 16,
});

export interface WebhookOptions {
  /** The receiver: http: or https:; plain http only on loopback, else a warning. */
  readonly url: string;
  /** Signs every request (X-Presence-Signature and webhook-signature); at least 32 bytes. */
  readonly secret: string;
  /** Longest one request may take, answer included. @default 5000 (ms) */
  readonly timeoutMs?: number;
  /** Events held at most, across users; beyond, new events are dropped. @default 10000 */
  readonly maxQueue?: number;
  /** Tries per event, the first included, before it is given up. @default 10 */
  readonly maxAttempts?: number;
  /** Requests in flight at most (one per user at a time). @default 16 */
  readonly concurrency?: number;
}

export interface ResolvedWebhookOptions {
  readonly url: URL;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly maxQueue: number;
  readonly maxAttempts: number;
  readonly concurrency: number;
  /** Set when events would cross a network in clear text: the caller logs it at start. */
  readonly warning: string | undefined;
}

/** @throws InvalidOptionError naming the field and what to change. */
export function resolveWebhookOptions(
  options: WebhookOptions,
  where = 'webhook',
): ResolvedWebhookOptions {
  const url = parseWebhookUrl(options.url, `${where}.url`);
  const secret = checkWebhookSecret(options.secret, `${where}.secret`);
  const number = (name: keyof typeof WEBHOOK_DEFAULTS) =>
    positiveOption(`${where}.${name}`, options[name] ?? WEBHOOK_DEFAULTS[name]);
  return {
    url,
    secret,
    timeoutMs: number('timeoutMs'),
    maxQueue: number('maxQueue'),
    maxAttempts: number('maxAttempts'),
    concurrency: number('concurrency'),
    warning: clearTextWarning(url),
  };
}

/** `name` is how messages call the setting (a field, an option or a variable). */
export function parseWebhookUrl(text: unknown, name: string): URL {
  let url: URL | undefined;
  try {
    url = typeof text === 'string' ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (!url) {
    throw new InvalidOptionError(
      `${name} must be an absolute URL such as https://app.example.com/presence-webhook, got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidOptionError(`${name} must be an http: or https: URL, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionError(
      `${name} must not carry a user or password: the receiver checks X-Presence-Signature instead`,
    );
  }
  return url;
}

export function checkWebhookSecret(secret: unknown, name: string): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new InvalidOptionError(
      `${name} is required: at least ${MIN_WEBHOOK_SECRET_BYTES} random bytes, e.g. from openssl rand -base64 48`,
    );
  }
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_WEBHOOK_SECRET_BYTES || secret.trim() === '') {
    throw new InvalidOptionError(
      `${name} must be at least ${MIN_WEBHOOK_SECRET_BYTES} bytes (got ${bytes}): a short secret can be guessed from one signed request; use e.g. openssl rand -base64 48`,
    );
  }
  return secret;
}

/** A warning when events would cross a network in clear text; undefined for https or loopback. */
export function clearTextWarning(url: URL): string | undefined {
  if (url.protocol === 'https:' || isLoopbackHostname(url.hostname)) return undefined;
  return `webhook URL ${url.origin} is plain http beyond this machine: anyone on the path can read who comes online and goes offline; use https`;
}

/** localhost, 127.0.0.0/8 or ::1 (a URL's hostname brackets IPv6). */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}
