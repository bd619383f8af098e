/**
 * The first meta of a connection, from the handshake's `auth` object: `status` (default
 * `online`), `device` (optional), `kind` (optional: `web`, `mobile`, `desktop` or `other`;
 * absent means `other`), `invisible` (optional) and `lineage` (optional: the device's id across
 * reconnects, 8 to 64 characters of A-Z a-z 0-9 _ -; it never enters the meta as given, see
 * presence-gateway.ts), validated; `online_at` is the server's wall clock. Other handshake fields (the token among them) never enter the meta.
 *
 * This owns the handshake's client-facing rules (a refused connection names the field). The
 * tracker still checks once that the meta can be replicated (src/runtime/replicable-meta.ts):
 * that rule is the runtime's, for every writer, not only this gateway.
 */
import type { Meta } from '../../core/index.js';
import { DEVICE_KINDS, isDeviceKind } from '../../domain/device-kind.js';
import { MAX_STATUS_LENGTH } from '../../domain/limits.js';
import { ONLINE_STATUS } from '../../domain/presence-status.js';

export const DEFAULT_STATUS = ONLINE_STATUS;

export interface ConnectionMeta {
  /** The meta without `invisible`: where the connection is tracked says that. */
  readonly meta: Meta;
  readonly invisible: boolean;
  /** The client's lineage for this device, when it sent one. */
  readonly lineage?: string;
}

const LINEAGE = /^[A-Za-z0-9_-]{8,64}$/;

export type HandshakeMetaCheck =
  | { readonly ok: true; readonly value: ConnectionMeta }
  | { readonly ok: false; readonly message: string };

function optionalString(auth: Record<string, unknown>, name: string): string | undefined | Error {
  const value = auth[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_STATUS_LENGTH) {
    return new Error(
      `handshake auth.${name} must be a string of at most ${MAX_STATUS_LENGTH} characters`,
    );
  }
  return value;
}

export function handshakeMeta(auth: unknown, onlineAt: number): HandshakeMetaCheck {
  const fields = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
  const status = optionalString(fields, 'status');
  if (status instanceof Error) return { ok: false, message: status.message };
  const device = optionalString(fields, 'device');
  if (device instanceof Error) return { ok: false, message: device.message };
  const kind = fields['kind'];
  if (kind !== undefined && kind !== null && !isDeviceKind(kind)) {
    return { ok: false, message: `handshake auth.kind must be one of ${DEVICE_KINDS.join(', ')}` };
  }
  const invisible = fields['invisible'];
  if (invisible !== undefined && invisible !== null && typeof invisible !== 'boolean') {
    return { ok: false, message: 'handshake auth.invisible must be a boolean' };
  }
  const lineage = fields['lineage'];
  if (
    lineage !== undefined &&
    lineage !== null &&
    (typeof lineage !== 'string' || !LINEAGE.test(lineage))
  ) {
    return {
      ok: false,
      message: 'handshake auth.lineage must be 8 to 64 characters of A-Z, a-z, 0-9, _ or -',
    };
  }
  const meta: Record<string, unknown> = { status: status ?? DEFAULT_STATUS, online_at: onlineAt };
  if (device !== undefined) meta['device'] = device;
  // Absent means `other` (DEFAULT_DEVICE_KIND): older clients' metas keep their shape and size.
  if (isDeviceKind(kind)) meta['kind'] = kind;
  const value: ConnectionMeta = { meta, invisible: invisible === true };
  return { ok: true, value: typeof lineage === 'string' ? { ...value, lineage } : value };
}
