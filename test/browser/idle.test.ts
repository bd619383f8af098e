/**
 * The client SDK in headless Chromium (Debian's `chromium`, driven by playwright-core), bundled
 * for the browser with esbuild (the bundler tsx ships), against a real presence server: input
 * events and the page turning visible count as activity, turning hidden does not make the user
 * idle, and a friend in Node sees one `away` and one `online` per transition. Idleness runs on a
 * manual clock inside the page; the server, the sockets and the DOM events are real.
 */
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPresenceClient, type PresenceClient } from '../../src/client/index.js';
import { startTestServer, type TestServer, tokenFor } from '../gateway/support/test-server.js';
import { waitFor } from '../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';

/** What the page holds, typed here: the tests build without the DOM types. */
interface PageGlobals {
  GraphPresence: { createPresenceClient: typeof createPresenceClient };
  pageClock: { now(): number; advance(ms: number): void } & Record<string, unknown>;
  presence: PresenceClient;
  document: { dispatchEvent(event: unknown): void };
  Event: new (type: string) => unknown;
}
const IDLE_AFTER_MS = 60_000;

/** A manual clock for the page: the same contract as test/support/manual-clock.ts, in page JS. */
const PAGE_CLOCK = `
window.pageClock = (() => {
  let time = 0; let queue = [];
  return {
    now: () => time,
    setTimeout(run, ms) { const item = { at: time + Math.max(0, ms), run }; queue.push(item); return item; },
    clearTimeout(item) { queue = queue.filter((other) => other !== item); },
    advance(ms) {
      const until = time + ms;
      for (;;) {
        const due = queue.filter((item) => item.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        queue = queue.filter((item) => item !== due);
        time = Math.max(time, due.at); due.run();
      }
      time = until;
    },
  };
})();`;

describe('idle tracking in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let bob: PresenceClient;
  const updates: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it)`);
    }
    server = await startTestServer();
    await server.graph.addEdge('alice', 'bob');
    const bundle = await build({
      entryPoints: ['src/client/index.ts'],
      bundle: true,
      format: 'iife',
      globalName: 'GraphPresence',
      platform: 'browser',
      target: 'es2022',
      write: false,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setContent('<!doctype html><html><body><p>app</p></body></html>');
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    await page.addScriptTag({ content: PAGE_CLOCK });

    bob = createPresenceClient(server.url, {
      token: await tokenFor('bob'),
      socketOptions: { transports: ['websocket'], forceNew: true },
    });
    bob.onUpdate((user, presence) => {
      if (user === 'alice') updates.push(String(presence.metas[0]?.status));
    });
    await waitFor(() => bob.synced, { description: 'bob synced' });

    const token = await tokenFor('alice');
    await page.evaluate(
      ({ url, token, idleAfterMs }) => {
        const w = globalThis as unknown as PageGlobals;
        w.presence = w.GraphPresence.createPresenceClient(url, {
          token,
          kind: 'web',
          idleAfterMs,
          idleClock: w.pageClock as never,
          socketOptions: { transports: ['websocket'] },
        });
      },
      { url: server.url, token, idleAfterMs: IDLE_AFTER_MS },
    );
    await waitFor(() => bob.statusOf('alice').kinds.web === 'online', {
      description: 'bob sees alice on the web',
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    bob?.disconnect();
    await server?.close();
  });

  const advance = (ms: number) =>
    page.evaluate((by) => (globalThis as unknown as PageGlobals).pageClock.advance(by), ms);
  const idle = () => page.evaluate(() => (globalThis as unknown as PageGlobals).presence.idle);
  /** A later change from the page: once bob has it, anything sent before it has arrived too. */
  const barrier = async (mood: string) => {
    await page.evaluate(
      (value) => (globalThis as unknown as PageGlobals).presence.update({ mood: value }),
      mood,
    );
    await waitFor(() => bob.get('alice')?.metas[0]?.['mood'] === mood, { description: mood });
  };
  const setVisibility = (state: 'hidden' | 'visible') =>
    page.evaluate((value) => {
      const w = globalThis as unknown as PageGlobals;
      Object.defineProperty(w.document, 'visibilityState', { value, configurable: true });
      w.document.dispatchEvent(new w.Event('visibilitychange'));
    }, state);

  it('input keeps the user active; quiet makes them away once; a key brings them back once', async () => {
    await advance(IDLE_AFTER_MS - 1_000);
    await page.keyboard.press('a');
    await page.mouse.move(10, 10);
    await page.mouse.move(20, 20);
    await advance(IDLE_AFTER_MS - 1_000);
    expect(await idle()).toBe(false);
    await advance(1_000);
    expect(await idle()).toBe(true);
    await waitFor(() => bob.statusOf('alice').status === 'away', { description: 'away' });
    for (let i = 0; i < 20; i++) await page.mouse.move(30 + i, 30 + i);
    expect(await idle()).toBe(false);
    await waitFor(() => bob.statusOf('alice').status === 'online', { description: 'back' });
    await barrier('first');
    expect(updates).toEqual(['away', 'online', 'online']);
  });

  it('turning hidden is not idleness; turning visible again is activity', async () => {
    updates.length = 0;
    await advance(IDLE_AFTER_MS - 1_000);
    await setVisibility('hidden');
    expect(await idle()).toBe(false);
    await advance(1_000); // the quiet period ends while hidden: away, as for any quiet time
    expect(await idle()).toBe(true);
    await waitFor(() => bob.statusOf('alice').status === 'away', { description: 'away' });
    await setVisibility('visible');
    expect(await idle()).toBe(false);
    await waitFor(() => bob.statusOf('alice').status === 'online', { description: 'back' });
    await barrier('second');
    expect(updates).toEqual(['away', 'online', 'online']);
  });
});
