/**
 * `npm run load -- <scenario> [options]`: load scenarios with real clients against real nodes
 * (see load/scenarios/). Prints a table, writes load/results/load-<scenario>.json and .svg.
 * Exit codes: 0 done, 1 the run failed, 2 bad usage.
 */
import {
  COMMON_DEFAULTS,
  checkOptions,
  OptionsError,
  optionsHelp,
  parseLoadArguments,
} from './options.js';
import { runScenario } from './run.js';
import { SCENARIOS } from './scenarios/registry.js';

function usage(): string {
  const scenarios = [...SCENARIOS.values()]
    .map((s) => `  ${s.name.padEnd(10)} ${s.summary}\n${defaultsLine(s.defaults)}`)
    .join('\n');
  return `Usage: npm run load -- <scenario> [options]

Scenarios:
${scenarios}

Options (common defaults; a scenario may change some, shown above):
${optionsHelp(COMMON_DEFAULTS)}
`;
}

function defaultsLine(defaults: object): string {
  const entries = Object.entries(defaults);
  return entries.length === 0
    ? ''
    : `             defaults: ${entries.map(([k, v]) => `${k} ${String(v)}`).join(', ')}`;
}

const argv = process.argv.slice(2);
try {
  const { scenario: name, help, given } = parseLoadArguments(argv);
  if (help) {
    process.stdout.write(usage());
    process.exit(0);
  }
  const scenario = name === undefined ? undefined : SCENARIOS.get(name);
  if (!scenario) {
    throw new OptionsError(
      `${name === undefined ? 'no scenario given' : `unknown scenario "${name}"`}; one of ${[...SCENARIOS.keys()].join(', ')}`,
    );
  }
  const options = { ...COMMON_DEFAULTS, ...scenario.defaults, ...given };
  checkOptions(options);
  const steadyLike = scenario.name === 'steady' || scenario.name === 'baseline';
  if (options.baseline && scenario.name !== 'steady' && scenario.name !== 'connect') {
    throw new OptionsError(
      '--baseline goes with steady or connect (npm run load -- connect --baseline)',
    );
  }
  if (options.baseline && options.webhooks) {
    throw new OptionsError('--baseline and --webhooks are separate runs: pick one');
  }
  if (options.webhooks && !['connect', 'failover', 'drain'].includes(scenario.name)) {
    throw new OptionsError('--webhooks goes with connect, failover or drain');
  }
  if (options.rates.length > 0 && !steadyLike) {
    throw new OptionsError('--rates goes with steady or baseline');
  }
  if (scenario.server === 'baseline' && options.nodes !== 1) {
    throw new OptionsError('the baseline is one plain socket.io process: --nodes 1');
  }
  await runScenario(
    scenario,
    options,
    argv.filter((arg) => arg !== name),
  );
  process.exit(0);
} catch (err) {
  if (err instanceof OptionsError) {
    process.stderr.write(`load: ${err.message}\n(npm run load -- --help)\n`);
    process.exit(2);
  }
  process.stderr.write(`load: run failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
