#!/usr/bin/env node
/**
 * The `graph-presence` command (docs/usage.md, "Command line"). Parses and checks the options,
 * starts one node and serves until SIGTERM/SIGINT, then leaves the cluster cleanly and exits 0.
 * Operator mistakes (bad options, unreachable services) print one line and exit 2.
 */
import { PresenceError } from '../errors.js';
import { systemTimers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { VERSION } from '../version.js';
import { CliError, errorMessage, USAGE_EXIT_CODE } from './cli-error.js';
import { type CliConfig, resolveConfig } from './config.js';
import { helpText } from './help.js';
import { isLoopbackHost } from './listen.js';
import { createCliLogger } from './logger.js';
import { parseArguments } from './parse-arguments.js';
import type { Environment } from './settings.js';
import { shutdownBoundMs } from './shutdown-timeout.js';
import { type RunningNode, startNode } from './start-node.js';
import { tokenCommand } from './token-command.js';

/** Printed as a plain line when --demo listens beyond this machine. */
export const demoBeyondLoopbackWarning = (host: string) =>
  `graph-presence: WARNING: --demo on ${host}, not a loopback address: anyone who can reach it can get a token for any user and read friend lists; never in production`;

function fail(message: string): never {
  process.stderr.write(`graph-presence: ${message}\n`);
  process.exit(USAGE_EXIT_CODE);
}

function isOperatorMistake(error: unknown): error is Error {
  return (
    error instanceof CliError ||
    (error instanceof PresenceError && error.code === 'PRESENCE_INVALID_OPTION')
  );
}

async function main(argv: readonly string[], env: Environment): Promise<void> {
  if (argv[0] === 'token') {
    try {
      process.stdout.write(await tokenCommand(argv.slice(1), env));
      return;
    } catch (error) {
      if (isOperatorMistake(error)) fail(errorMessage(error));
      throw error;
    }
  }
  let config: CliConfig;
  try {
    const args = parseArguments(argv);
    if (args.help) {
      process.stdout.write(helpText(VERSION));
      return;
    }
    if (args.version) {
      process.stdout.write(`${VERSION}\n`);
      return;
    }
    config = resolveConfig(args, env);
  } catch (error) {
    if (isOperatorMistake(error)) fail(errorMessage(error));
    throw error;
  }

  const logger = createCliLogger(env['LOG_LEVEL']);
  if (config.secretsOnCommandLine.length > 0) {
    const options = config.secretsOnCommandLine.map((s) => s.option);
    const variables = config.secretsOnCommandLine.map((s) => s.variable);
    logger.warn(
      { options, variables },
      `secrets given on the command line (${options.join(', ')}) are visible to every local user in ps: pass them as ${variables.join(', ')} instead`,
    );
  }
  let node: RunningNode;
  try {
    node = await startNode(config, logger);
  } catch (error) {
    if (isOperatorMistake(error)) fail(errorMessage(error));
    logger.error({ err: error }, 'failed to start');
    process.stderr.write(`graph-presence: failed to start: ${errorMessage(error)}\n`);
    process.exit(1);
  }
  handleSignals(node, logger, shutdownBoundMs(config));
  if (config.demo) {
    logger.warn({ host: config.host }, '--demo: anyone can get a token for any user');
    // Once started, so a failed start still prints one line only.
    if (!isLoopbackHost(config.host)) {
      process.stderr.write(`${demoBeyondLoopbackWarning(config.host)}\n`);
    }
  }
  const demo = config.demo ? ` (demo page at ${node.url}/)` : '';
  const metrics = node.metricsUrl ? ` (metrics on ${node.metricsUrl})` : '';
  process.stdout.write(
    `graph-presence ${VERSION}: node ${node.nodeName} listening on ${node.url}${demo}${metrics}\n`,
  );
}

/**
 * The first SIGTERM or SIGINT drains (clients move to other nodes), then leaves the cluster; a
 * second one ends the drain at once (what is left leaves now); a third exits now.
 */
function handleSignals(node: RunningNode, logger: Logger, timeoutMs: number): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 2) {
      logger.warn({ signal }, 'second signal: leaving at once (no more drain)');
      void node.shutdown({ drain: false });
      return;
    }
    if (signals > 2) {
      logger.warn({ signal }, 'third signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down: draining, then leaving the cluster');
    // Unref'd (system timers): it never keeps a finished shutdown alive.
    systemTimers.setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out: exiting anyway');
      process.exit(1);
    }, timeoutMs);
    node.shutdown().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  process.stderr.write(`graph-presence: unexpected error: ${errorMessage(error)}\n`);
  if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
