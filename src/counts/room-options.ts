/** Options of count-only rooms, their defaults and validation; room names. */

import { positiveOption } from '../domain/positive-option.js';
import { InvalidOptionError } from '../errors.js';

/** May `userId` join `room`? Called once per join; a rejection or a throw refuses it. */
export type AuthorizeRoom = (userId: string, room: string) => boolean | Promise<boolean>;

export interface CountRoomOptions {
  /** Rooms one connection may be in at once. @default 16 */
  readonly maxRoomsPerConnection?: number;
  /** The app's check of a join. @default every authenticated user may join every room */
  readonly authorizeRoom?: AuthorizeRoom;
  /** How long authorizeRoom may take before the join fails. @default 5000 (ms) */
  readonly authorizeTimeoutMs?: number;
}

export interface ResolvedCountRoomOptions {
  readonly maxRoomsPerConnection: number;
  readonly authorizeRoom: AuthorizeRoom | undefined;
  readonly authorizeTimeoutMs: number;
}

export function resolveCountRoomOptions(options: CountRoomOptions = {}): ResolvedCountRoomOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'rooms must be an object ({ maxRoomsPerConnection, authorizeRoom })',
    );
  }
  const { authorizeRoom } = options;
  if (authorizeRoom !== undefined && typeof authorizeRoom !== 'function') {
    throw new InvalidOptionError(
      'rooms.authorizeRoom must be a function (userId, room) => boolean | Promise<boolean>',
    );
  }
  return {
    maxRoomsPerConnection: positiveOption(
      'rooms.maxRoomsPerConnection',
      options.maxRoomsPerConnection ?? 16,
    ),
    authorizeRoom,
    authorizeTimeoutMs: positiveOption(
      'rooms.authorizeTimeoutMs',
      options.authorizeTimeoutMs ?? 5_000,
    ),
  };
}

export const MAX_ROOM_NAME_LENGTH = 128;
const ROOM_NAME = /^[A-Za-z0-9_.:-]+$/;

/** Why `room` is not a valid room name, or undefined when it is. */
export function roomNameProblem(room: unknown): string | undefined {
  if (typeof room !== 'string') return 'the room name must be a string';
  if (room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
    return `the room name must be 1 to ${MAX_ROOM_NAME_LENGTH} characters`;
  }
  if (!ROOM_NAME.test(room)) {
    return 'the room name may contain only letters, digits and _ . : -';
  }
  return undefined;
}
