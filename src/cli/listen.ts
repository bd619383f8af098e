/** Binds the HTTP server; a taken port or an address this machine does not have is a CliError. */
import type { Server } from 'node:http';
import { type AddressInfo, isIPv4 } from 'node:net';
import { NODE_OPTIONS } from '../options/index.js';
import { CliError } from './cli-error.js';

/** Pending TCP connections the kernel may queue for this node. */
export const LISTEN_BACKLOG = 4_096;

/** How the address is named in errors: the main port's two options, or one such as --metrics-listen. */
export interface ListenSetting {
  readonly port: string;
  readonly host: string;
}

const MAIN_LISTEN: ListenSetting = {
  port: NODE_OPTIONS.options.port.flag,
  host: NODE_OPTIONS.options.host.flag,
};

export function listen(
  server: Server,
  port: number,
  host: string,
  setting: ListenSetting = MAIN_LISTEN,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(describeListenError(error, port, host, setting));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // A deploy or a dead node sends thousands of reconnects at once: the kernel queues their
    // handshakes (up to net.core.somaxconn) instead of refusing them past Node's default 511.
    server.listen({ port, host, backlog: LISTEN_BACKLOG });
  });
}

function describeListenError(
  error: NodeJS.ErrnoException,
  port: number,
  host: string,
  setting: ListenSetting,
): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new CliError(
        `${setting.port} ${port}: the port is already in use on ${host}; stop what uses it, pick another port or pass ${setting.port} 0 for a free one`,
      );
    case 'EACCES':
      return new CliError(
        `${setting.port} ${port}: not allowed to bind it on ${host}; use a port above 1023 or ${setting.port} 0`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(
        `${setting.host} ${host}: not an address of this machine (${error.code}); use e.g. 127.0.0.1 or 0.0.0.0`,
      );
    default:
      return error;
  }
}

/** `http://host:port`, brackets around an IPv6 address. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Whether only this machine can reach `host`: localhost, 127.0.0.0/8, ::1 (or 127.x mapped). */
export function isLoopbackHost(host: string): boolean {
  const address = host.toLowerCase().replace(/^::ffff:/, '');
  if (address === 'localhost' || address === '::1') return true;
  return isIPv4(address) && address.startsWith('127.');
}
