/**
 * How a user's connections aggregate into one answer: the status order (online > away > any
 * other, others by code-unit order), devices (no device: `other`), and ids or device names that
 * are also Object.prototype's names.
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

  it('gives each device the strongest status of its connections; no device is `other`', () => {
    const answer = userPresence(
      presencesOf(
        { status: 'away', device: 'web' },
        { status: 'online', device: 'web' },
        { status: 'busy', device: 'phone' },
        { status: 'away' },
        { status: 'busy', device: '' },
      ),
    );
    expect(answer).toEqual({
      online: true,
      status: 'online',
      devices: { web: 'online', phone: 'busy', other: 'away' },
      lastSeen: null,
    });
  });

  it('keeps a device named __proto__ as a device, not a prototype', () => {
    const answer = userPresence(presencesOf({ status: 'away', device: '__proto__' }));
    expect(Object.keys(answer.devices)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(answer.devices)).toBeNull();
    expect(Object.values(answer.devices)).toEqual(['away']);
    expect(JSON.parse(JSON.stringify(answer)).devices).toEqual(JSON.parse('{"__proto__":"away"}'));
  });

  it('reads a meta without a status as online (the handshake default)', () => {
    expect(userPresence(presencesOf({ device: 'web' })).devices).toEqual({ web: 'online' });
  });
});
