/**
 * Every option group, in the order `--help` and docs/usage.md show them, and every option by
 * name. A new group is one file of this folder and one line here.
 */
import { ABUSE_OPTIONS } from './abuse-options.js';
import { BACKEND_OPTIONS } from './backend-options.js';
import { NODE_OPTIONS } from './node-options.js';
import type { OptionSpec } from './option-spec.js';
import { PRESENCE_OPTIONS } from './presence-options.js';
import { SECURITY_OPTIONS } from './security-options.js';
import { TRACKER_TIMING_OPTIONS } from './tracker-timing-options.js';

export { ABUSE_OPTIONS } from './abuse-options.js';
export { BACKEND_OPTIONS } from './backend-options.js';
export { NODE_OPTIONS } from './node-options.js';
export * from './option-spec.js';
export { PRESENCE_OPTIONS } from './presence-options.js';
export { SECURITY_OPTIONS } from './security-options.js';
export { TOKEN_OPTIONS, TOKEN_SECRET_VARIABLE } from './token-options.js';
export { TRACKER_TIMING_OPTIONS } from './tracker-timing-options.js';

export const OPTION_GROUPS = [
  NODE_OPTIONS,
  SECURITY_OPTIONS,
  TRACKER_TIMING_OPTIONS,
  PRESENCE_OPTIONS,
  BACKEND_OPTIONS,
  ABUSE_OPTIONS,
] as const;

/** Every option by name. */
export const ALL_OPTIONS = {
  ...NODE_OPTIONS.options,
  ...SECURITY_OPTIONS.options,
  ...TRACKER_TIMING_OPTIONS.options,
  ...PRESENCE_OPTIONS.options,
  ...BACKEND_OPTIONS.options,
  ...ABUSE_OPTIONS.options,
} as const;

export type OptionName = keyof typeof ALL_OPTIONS;

/** The options with a command-line flag. */
export type CliOptionName = {
  [K in OptionName]: (typeof ALL_OPTIONS)[K] extends { readonly flag: string } ? K : never;
}[OptionName];

/** Each option's spec by name, as the common type. */
export function optionEntries(): [OptionName, OptionSpec][] {
  return Object.entries(ALL_OPTIONS) as [OptionName, OptionSpec][];
}
