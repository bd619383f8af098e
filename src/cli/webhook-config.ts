/**
 * The online/offline webhook on the command line (docs/webhooks.md, "Options"): the receiver's URL
 * and the signing secret, both or neither. The sender's other bounds keep their defaults here.
 */
import { InvalidOptionError } from '../errors.js';
import { ALL_OPTIONS } from '../options/index.js';
import {
  checkWebhookSecret,
  clearTextWarning,
  parseWebhookUrl,
} from '../webhooks/webhook-options.js';
import { CliError } from './cli-error.js';
import { flagOfOption, settingOf } from './cli-options.js';
import type { RawArguments } from './parse-arguments.js';
import type { Environment } from './settings.js';

export interface WebhookCliConfig {
  readonly url: string;
  readonly secret: string;
  /** Plain http beyond loopback: logged at start. */
  readonly warning: string | undefined;
}

const URL_NAMES = `${flagOfOption('webhookUrl')} (${ALL_OPTIONS.webhookUrl.env})`;
const SECRET_NAMES = `${flagOfOption('webhookSecret')} (${ALL_OPTIONS.webhookSecret.env})`;

export function resolveWebhookConfig(
  args: RawArguments,
  env: Environment,
): WebhookCliConfig | undefined {
  const urlSetting = settingOf('webhookUrl', args, env);
  const secretSetting = settingOf('webhookSecret', args, env);
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
