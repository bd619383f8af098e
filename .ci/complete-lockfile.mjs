#!/usr/bin/env node
// The package registry these machines reach serves only the platform packages that can run here
// (linux, glibc), so `npm install` leaves the other platforms' optional packages out of
// package-lock.json, and `npm ci` then refuses the lock as out of sync with package.json.
// This adds a version-and-platform entry for each missing optional package: npm skips such a
// package on a platform it does not fit, so it is never fetched here.
//   node .ci/complete-lockfile.mjs           complete package-lock.json in place
//   node .ci/complete-lockfile.mjs --check   exit 1 (naming what is missing) if it needs completing
import { readFileSync, writeFileSync } from 'node:fs';

const OS = [
  'android',
  'darwin',
  'linux',
  'win32',
  'freebsd',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
  'openharmony',
];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'loong64', 'mips64el', 'ppc64', 'riscv64', 's390x'];

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const missing = [];
for (const [location, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    const parts = name.split('/').pop().split('-');
    const os = OS.find((o) => parts.includes(o));
    const cpu = CPU.find((c) => parts.includes(c));
    if (!os || !cpu) throw new Error(`cannot tell the platform of optional package ${name}`);
    const entry = { version, optional: true, os: [os], cpu: [cpu] };
    if (pkg.dev) entry.dev = true;
    if (parts.includes('musl')) entry.libc = ['musl'];
    else if (os === 'linux') entry.libc = ['glibc'];
    missing.push([`node_modules/${name}`, entry]);
  }
}
if (process.argv.includes('--check')) {
  if (missing.length > 0) {
    console.error(
      `package-lock.json lacks ${missing.length} optional platform packages (${missing.map(([n]) => n.slice(13)).join(', ')}): run node .ci/complete-lockfile.mjs and commit the lock`,
    );
    process.exit(1);
  }
} else {
  for (const [location, entry] of missing) lock.packages[location] = entry;
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) =>
      a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
    ),
  );
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${missing.length} entries`);
}
