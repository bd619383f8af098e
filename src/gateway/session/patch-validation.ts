/**
 * Validates a `presence:update` patch: a flat plain object, at most 16 keys and 1 KiB encoded,
 * values strings, finite numbers or booleans; `invisible` must be a boolean; `status` and
 * `device` strings of at most 64 characters; `kind` one of the device kinds, as at the handshake
 * (friends group a user's devices by it); `phx_ref`, `phx_ref_prev` and `online_at` belong to
 * the server. Anything else arriving from the wire (arrays, null, functions, nesting) is refused.
 *
 * This owns the client-facing rules on a patch, refused with `invalid_patch` and a message for the
 * client. It is stricter than replication needs (flat, typed fields, its own bounds) and does not
 * replace the tracker's check: the patched meta is bounded as a whole by the session
 * (`meta_too_large`, src/domain/limits.ts `metaSizeProblem`), and the tracker checks once that what
 * it stores can be replicated (src/runtime/replicable-meta.ts). Merging the checks would change
 * which code a client gets, so each keeps its own rule.
 */
import type { PresencePatch } from '../../domain/client-protocol.js';
import { DEVICE_KINDS, isDeviceKind } from '../../domain/device-kind.js';
import {
  FORBIDDEN_PATCH_KEYS,
  MAX_PATCH_BYTES,
  MAX_PATCH_KEYS,
  MAX_STATUS_LENGTH,
  utf8Length,
} from '../../domain/limits.js';

export type PatchCheck =
  | { readonly ok: true; readonly patch: PresencePatch }
  | { readonly ok: false; readonly message: string };

function refuse(message: string): PatchCheck {
  return { ok: false, message };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function checkPatch(value: unknown): PatchCheck {
  if (!isPlainObject(value)) return refuse('the patch must be a flat JSON object');
  const keys = Object.keys(value);
  if (keys.length > MAX_PATCH_KEYS) {
    return refuse(`the patch has ${keys.length} keys; at most ${MAX_PATCH_KEYS} are allowed`);
  }
  const patch: Record<string, string | number | boolean> = Object.create(null);
  for (const key of keys) {
    if (key.length === 0) return refuse('patch keys must not be empty');
    if (FORBIDDEN_PATCH_KEYS.has(key)) return refuse(`"${key}" is set by the server`);
    const field = value[key];
    if (key === 'invisible') {
      if (typeof field !== 'boolean') return refuse('"invisible" must be a boolean');
    } else if (key === 'kind') {
      if (!isDeviceKind(field)) return refuse(`"kind" must be one of ${DEVICE_KINDS.join(', ')}`);
    } else if (key === 'status' || key === 'device') {
      if (typeof field !== 'string' || field.length > MAX_STATUS_LENGTH) {
        return refuse(`"${key}" must be a string of at most ${MAX_STATUS_LENGTH} characters`);
      }
    } else if (typeof field === 'number') {
      if (!Number.isFinite(field)) return refuse(`"${key}" must be a finite number`);
    } else if (typeof field !== 'string' && typeof field !== 'boolean') {
      return refuse(`"${key}" must be a string, a number or a boolean`);
    }
    patch[key] = field as string | number | boolean;
  }
  if (utf8Length(JSON.stringify(patch)) > MAX_PATCH_BYTES) {
    return refuse(`the patch is larger than ${MAX_PATCH_BYTES} bytes encoded`);
  }
  return { ok: true, patch };
}
