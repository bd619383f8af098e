/**
 * The kind of device a connection runs on, from the handshake's `kind`: friends see a status
 * per kind (like Discord's desktop / mobile / web). Shared by the gateway (validation) and the
 * client SDK; dependency-free for the browser bundle.
 */

export const DEVICE_KINDS = ['web', 'mobile', 'desktop', 'other'] as const;

export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** The kind of a connection whose handshake named none. */
export const DEFAULT_DEVICE_KIND: DeviceKind = 'other';

export function isDeviceKind(value: unknown): value is DeviceKind {
  return typeof value === 'string' && (DEVICE_KINDS as readonly string[]).includes(value);
}
