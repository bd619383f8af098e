/**
 * Debian's nginx run by a test: deploy/nginx/graph-presence.conf with only its listen ports,
 * certificate paths and upstream servers replaced (every other directive as shipped), inside a
 * minimal main configuration whose pid, logs and temp files live in a temporary folder. A
 * self-signed certificate for 127.0.0.1 is made with openssl.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait-for.js';

export const SHIPPED_SITE = fileURLToPath(
  new URL('../../../deploy/nginx/graph-presence.conf', import.meta.url),
);
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => {
  try {
    execFileSync(path, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

export interface SelfSigned {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  /** The certificate's PEM, for a client's `ca`. */
  readonly pem: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
export function selfSignedCertificate(dir: string): SelfSigned {
  const cert = join(dir, 'graph-presence.crt');
  const key = join(dir, 'graph-presence.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key, pem: readFileSync(cert, 'utf8') };
}

export interface SiteSettings {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly cert: string;
  readonly key: string;
  /** host:port of each node. */
  readonly upstreams: readonly string[];
}

/**
 * The shipped site file with the settings replaced. Throws if a directive to replace is not
 * found as expected: the test must follow the file, not silently run something else.
 */
export function templateSite(settings: SiteSettings): string {
  let text = readFileSync(SHIPPED_SITE, 'utf8');
  const replace = (pattern: RegExp, by: string, times = 1) => {
    const found = text.match(new RegExp(pattern, `${pattern.flags}g`))?.length ?? 0;
    if (found !== times) {
      throw new Error(
        `deploy/nginx/graph-presence.conf: expected ${times} × ${pattern}, found ${found}`,
      );
    }
    text = text.replace(new RegExp(pattern, `${pattern.flags}g`), by);
  };
  replace(/listen 80;/, `listen 127.0.0.1:${settings.httpPort};`);
  replace(/listen 443 ssl;/, `listen 127.0.0.1:${settings.httpsPort} ssl;`);
  replace(/ssl_certificate +\S+;/, `ssl_certificate ${settings.cert};`);
  replace(/ssl_certificate_key +\S+;/, `ssl_certificate_key ${settings.key};`);
  const servers = settings.upstreams.map((address) => `server ${address} $1;`).join('\n    ');
  const upstreamLines = text.match(/^ *server 127\.0\.0\.1:\d+ (.*);$/gm) ?? [];
  if (upstreamLines.length !== 2) {
    throw new Error('deploy/nginx/graph-presence.conf: expected two upstream server lines');
  }
  const parameters = /server \S+ (.*);/.exec(upstreamLines[0] ?? '')?.[1] ?? '';
  text = text.replace(upstreamLines.join('\n'), `    ${servers.replaceAll('$1', parameters)}`);
  return text;
}

/** A main configuration around `site`, everything it writes kept in `dir`. */
export function mainConfig(dir: string, siteFile: string): string {
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections 256; }
http {
    log_format upstreams '$request_uri $status upstream=$upstream_addr user=$http_x_test_user';
    access_log ${join(dir, 'access.log')} upstreams;
    client_body_temp_path ${join(dir, 'client_body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};
    include ${siteFile};
}
`;
}

export interface RunningNginx {
  readonly dir: string;
  readonly httpsUrl: string;
  readonly httpUrl: string;
  accessLog(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `nginx -t` on a main configuration; the output on failure. */
export function nginxTest(mainFile: string): { ok: boolean; output: string } {
  if (NGINX === undefined) throw new Error('nginx is not installed (apt-get install nginx)');
  // nginx -t reports on stderr, success included.
  const result = spawnSync(NGINX, ['-t', '-c', mainFile], { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** Starts nginx in front of `upstreams` with a fresh certificate; resolves once it answers. */
export async function startNginx(
  upstreams: readonly string[],
): Promise<RunningNginx & { readonly tls: SelfSigned }> {
  if (NGINX === undefined) throw new Error('nginx is not installed (apt-get install nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'presence-nginx-'));
  const tls = selfSignedCertificate(dir);
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const siteFile = join(dir, 'graph-presence.conf');
  writeFileSync(
    siteFile,
    templateSite({ httpPort, httpsPort, cert: tls.cert, key: tls.key, upstreams }),
  );
  const mainFile = join(dir, 'nginx.conf');
  writeFileSync(mainFile, mainConfig(dir, siteFile));
  const checked = nginxTest(mainFile);
  if (!checked.ok) throw new Error(`nginx -t failed:\n${checked.output}`);
  const child: ChildProcess = spawn(NGINX, ['-c', mainFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, 'exit');
  process.once('exit', () => child.kill('SIGKILL'));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${output}`);
      const response = await fetch(`${httpUrl}/`, { redirect: 'manual' });
      return response.status === 301;
    },
    { timeoutMs: 10_000, description: 'nginx answering' },
  );
  return {
    dir,
    tls,
    httpUrl,
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    accessLog: () => readFileSync(join(dir, 'access.log'), 'utf8'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
