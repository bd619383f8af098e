/**
 * How a user's connections aggregate into one answer: the status order (online > away > any
 * other, others by code-unit order), and devices by kind (no kind, or one not known: `other`).
 */
import { describe, expect, it } from 'vitest';
import { type Meta, PresenceState } from '../../src/core/index.js';
import { OFFLINE, strongerStatus, userPresence } from '../../src/query/user-presence.js';

function presencesOf(...metas: Meta[]) {
  const state = new PresenceState({ name: 'unit', vsn: 1 });
  for (const [i, meta] of metas.entries()) state.track('user:u', 'u', `c${i}`, meta);
  return state.get('user:u', 'u');
}

describe('userPresence', () => {
  it('is offline, with no devices and no last seen, without connections', () => {
    expect(userPresence([])).toBe(OFFLINE);
    expect(OFFLINE).toEqual({ online: false, status: 'offline', devices: {}, lastSeen: null });
    expect(Object.isFrozen(OFFLINE) && Object.isFrozen(OFFLINE.devices)).toBe(true);
  });

  it('ranks online over away over any other status, whatever the order of connections', () => {
    expect(strongerStatus('away', 'online')).toBe('online');
    expect(strongerStatus('busy', 'away')).toBe('away');
    expect(strongerStatus('dnd', 'busy')).toBe('busy');
    expect(strongerStatus('busy', 'dnd')).toBe('busy');
    const metas = [{ status: 'busy' }, { status: 'away' }, { status: 'online' }];
    for (const order of [metas, [...metas].reverse()]) {
      expect(userPresence(presencesOf(...order)).status).toBe('online');
    }
    expect(userPresence(presencesOf({ status: 'dnd' }, { status: 'busy' })).status).toBe('busy');
  });

  it('gives each kind of device the strongest status of its connections; no kind is `other`', () => {
    const answer = userPresence(
      presencesOf(
        { status: 'away', kind: 'web', device: 'laptop' },
        { status: 'online', kind: 'web', device: 'tablet' },
        { status: 'busy', kind: 'mobile', device: 'phone' },
        { status: 'away' },
        { status: 'busy', kind: '__proto__' },
      ),
    );
    expect(answer).toEqual({
      online: true,
      status: 'online',
      devices: { web: 'online', mobile: 'busy', other: 'away' },
      lastSeen: null,
    });
    expect(Object.getPrototypeOf(answer.devices)).toBeNull();
  });

  it('reads a meta without a status as online (the handshake default)', () => {
    expect(userPresence(presencesOf({ kind: 'web' })).devices).toEqual({ web: 'online' });
  });
});
