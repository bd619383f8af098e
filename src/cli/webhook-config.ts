/**
 * The online/offline webhook on the command line (docs/webhooks.md, "Options"): the receiver's URL
 * and the signing secret, both or neither. The sender's other bounds keep their defaults here.
 */
import { InvalidOptionError } from '../errors.js';
import {
  checkWebhookSecret,
  clearTextWarning,
  parseWebhookUrl,
} from '../webhooks/webhook-options.js';
import { CliError } from './cli-error.js';
import type { RawArguments } from './parse-arguments.js';
import { type Environment, pick } from './settings.js';

export interface WebhookCliConfig {
  readonly url: string;
  readonly secret: string;
  /** Plain http beyond loopback: logged at start. */
  readonly warning: string | undefined;
}

const URL_NAMES = '--webhook-url (PRESENCE_WEBHOOK_URL)';
const SECRET_NAMES = '--webhook-secret (PRESENCE_WEBHOOK_SECRET)';

export function resolveWebhookConfig(
  args: RawArguments,
  env: Environment,
): WebhookCliConfig | undefined {
  const urlSetting = pick('--webhook-url', args.webhookUrl, env, 'PRESENCE_WEBHOOK_URL');
  const secretSetting = pick(
    '--webhook-secret',
    args.webhookSecret,
    env,
    'PRESENCE_WEBHOOK_SECRET',
  );
  if (urlSetting === undefined && secretSetting === undefined) return undefined;
  if (urlSetting === undefined) {
    throw new CliError(
      `${secretSetting?.source} needs ${URL_NAMES}, the receiver of the online/offline events`,
    );
  }
  if (secretSetting === undefined) {
    throw new CliError(
      `${urlSetting.source} needs ${SECRET_NAMES}, the key that signs every request (at least 32 bytes, e.g. openssl rand -base64 48)`,
    );
  }
  const url = asCliError(() => parseWebhookUrl(urlSetting.value, urlSetting.source));
  const secret = asCliError(() => checkWebhookSecret(secretSetting.value, secretSetting.source));
  return { url: url.href, secret, warning: clearTextWarning(url) };
}

/** The library's checks, reported like every other command-line mistake. */
function asCliError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new CliError(error.message);
    throw error;
  }
}
