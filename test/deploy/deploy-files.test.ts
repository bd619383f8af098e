/**
 * deploy/ agrees with the node: every variable its files set is one `graph-presence` reads (a
 * typo would be silently ignored), the probes name the node's routes, and every stop grace period
 * covers the node's shutdown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli/help.js';
import { DEFAULT_SHUTDOWN_BOUND_MS } from '../../src/cli/shutdown-timeout.js';
import { REPO } from './support/dockerfile.js';

const read = (path: string) => readFileSync(join(REPO, 'deploy', path), 'utf8');
const withoutComments = (text: string) => text.replace(/^\s*#.*$/gm, '');

/** The variables `graph-presence --help` names, and NODE_ENV (read by Node and its libraries). */
const KNOWN = new Set([
  ...(helpText('0').match(/\b(?:PRESENCE_[A-Z0-9_]+|REDIS_URL|PORT|HOST|LOG_LEVEL)\b/g) ?? []),
  'NODE_ENV',
]);

const FILES: readonly [string, (text: string) => string[]][] = [
  ['Dockerfile', (text) => [...text.matchAll(/^ENV ([A-Z0-9_]+)=/gm)].map((m) => m[1] ?? '')],
  [
    'compose.yaml',
    (text) => [...text.matchAll(/^ {4,6}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] ?? ''),
  ],
  ['env.example', (text) => [...text.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? '')],
  [
    'systemd/graph-presence.env',
    // Commented-out examples too: an operator uncomments them.
    (text) => [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? ''),
  ],
  [
    'systemd/graph-presence@.service',
    (text) => [...text.matchAll(/^Environment=([A-Z0-9_]+)=/gm)].map((m) => m[1] ?? ''),
  ],
  [
    'kubernetes/deployment.yaml',
    (text) => [...text.matchAll(/- name: ([A-Z][A-Z0-9_]+)$/gm)].map((m) => m[1] ?? ''),
  ],
  [
    'kubernetes/secret.example.yaml',
    (text) => [...text.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] ?? ''),
  ],
];

describe('deploy/', () => {
  it.each(FILES)('%s sets only variables the node reads', (file, variables) => {
    const names = variables(file.endsWith('.env') ? read(file) : withoutComments(read(file)));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !KNOWN.has(name))).toEqual([]);
  });

  it('keeps secrets out of the image and the unit', () => {
    expect(read('Dockerfile')).not.toMatch(/^(ENV|ARG) \S*(SECRET|TOKEN)/m);
    expect(read('systemd/graph-presence@.service')).not.toMatch(/^Environment=\S*(SECRET|TOKEN)/m);
    expect(read('systemd/graph-presence@.service')).toMatch(/^EnvironmentFile=/m);
  });

  it('probes readiness on the same path in the image and on Kubernetes, liveness on /healthz', () => {
    const healthcheck = /^HEALTHCHECK .*CMD .*?(\/[a-z]+z)\b/m.exec(read('Dockerfile'))?.[1];
    const deployment = read('kubernetes/deployment.yaml');
    const readiness = /readinessProbe:\s+httpGet:\s+path: (\S+)/.exec(deployment)?.[1];
    const liveness = /livenessProbe:\s+httpGet:\s+path: (\S+)/.exec(deployment)?.[1];
    expect(healthcheck).toBe('/readyz');
    expect(readiness).toBe(healthcheck);
    expect(liveness).toBe('/healthz');
  });

  it('gives the node longer than its drain, leave grace and shutdown to stop, after preStop on Kubernetes', () => {
    const shutdownS = DEFAULT_SHUTDOWN_BOUND_MS / 1000;
    expect(shutdownS).toBeGreaterThanOrEqual(35);
    const deployment = read('kubernetes/deployment.yaml');
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(deployment)?.[1]);
    const preStop = Number(/command: \["sleep", "(\d+)"\]/.exec(deployment)?.[1]);
    expect(grace).toBeGreaterThan(preStop + shutdownS);
    const unit = read('systemd/graph-presence@.service');
    expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1])).toBeGreaterThan(shutdownS);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    const compose = read('compose.yaml');
    expect(Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1])).toBeGreaterThan(shutdownS);
  });

  it('balances without session affinity on Kubernetes', () => {
    expect(read('kubernetes/service.yaml')).toMatch(/sessionAffinity: None/);
  });
});
