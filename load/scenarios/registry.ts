/** Every scenario of `npm run load`, by name. A new scenario: its file, then one line here. */
import { baseline } from './baseline.js';
import { churn } from './churn.js';
import { connect } from './connect.js';
import { delivery } from './delivery.js';
import { drain } from './drain.js';
import { failover } from './failover.js';
import { flap } from './flap.js';
import type { Scenario } from './scenario.js';
import { steady } from './steady.js';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [connect, steady, baseline, churn, failover, drain, delivery, flap].map((s) => [s.name, s]),
);
