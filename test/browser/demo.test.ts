/**
 * The demo page in headless Chromium (Debian's `chromium`, driven by playwright-core) against the
 * real `graph-presence --demo` command: two friends see each other's status change live, going
 * invisible looks offline to the friend, and a third user who is no friend of theirs never
 * appears on their pages (nor they on theirs).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, killAll, startCli, stopCli } from '../cli/support/cli-process.js';

const CHROMIUM = '/usr/bin/chromium';
const UI_TIMEOUT_MS = 15_000;

describe('demo page in Chromium', () => {
  let server: { run: CliRun; url: string };
  let browser: Browser;
  const pages = new Map<string, Page>();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it)`);
    }
    server = await startCli(['--port', '0', '--demo']);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await stopCli(server.run);
    killAll();
  });

  /** Opens the page in its own browser context and connects as `user` through the form. */
  async function openAs(user: string, device: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(`${server.url}/`);
    await page.fill('[data-testid=user-picker]', user);
    await page.fill('#device', device);
    await page.click('[data-testid=connect]');
    await page.waitForSelector('#conn-text:has-text("connected as")');
    pages.set(user, page);
    return page;
  }

  const friendRow = (page: Page, user: string) => page.locator(`[data-user="${user}"]`);
  const seen = (page: Page) =>
    page.evaluate(() => [
      ...(globalThis as unknown as { presenceDemo: { seen: Set<string> } }).presenceDemo.seen,
    ]);

  it('two friends see each other online, with devices', async () => {
    const alice = await openAs('alice', 'laptop');
    const bob = await openAs('bob', 'phone');
    await openAs('heidi', 'desktop');
    await expect
      .poll(() => friendRow(alice, 'bob').getAttribute('data-online'), { timeout: UI_TIMEOUT_MS })
      .toBe('true');
    await expect
      .poll(() => friendRow(bob, 'alice').getAttribute('data-online'), { timeout: UI_TIMEOUT_MS })
      .toBe('true');
    expect(await friendRow(alice, 'bob').locator('.device').first().textContent()).toContain(
      'phone',
    );
  });

  it("each sees the other's status change live", async () => {
    const alice = pages.get('alice')!;
    const bob = pages.get('bob')!;
    await bob.fill('[data-testid=status-input]', 'in a meeting');
    await bob.click('[data-testid=set-status]');
    await expect
      .poll(() => friendRow(alice, 'bob').locator('.status').textContent(), {
        timeout: UI_TIMEOUT_MS,
      })
      .toBe('in a meeting');
    await alice.click('button[data-status="busy"]');
    await expect
      .poll(() => friendRow(bob, 'alice').locator('.status').textContent(), {
        timeout: UI_TIMEOUT_MS,
      })
      .toBe('busy');
  });

  it('going invisible looks offline to the friend, and back', async () => {
    const alice = pages.get('alice')!;
    const bob = pages.get('bob')!;
    await alice.check('[data-testid=invisible]');
    await expect
      .poll(() => friendRow(bob, 'alice').getAttribute('data-online'), { timeout: UI_TIMEOUT_MS })
      .toBe('false');
    await alice.uncheck('[data-testid=invisible]');
    await expect
      .poll(() => friendRow(bob, 'alice').getAttribute('data-online'), { timeout: UI_TIMEOUT_MS })
      .toBe('true');
  });

  it('a user who is not their friend never appears', async () => {
    const alice = pages.get('alice')!;
    const bob = pages.get('bob')!;
    const heidi = pages.get('heidi')!;
    for (const page of [alice, bob]) {
      expect(await friendRow(page, 'heidi').count()).toBe(0);
      expect(await seen(page)).not.toContain('heidi');
    }
    const heidiSaw = await seen(heidi);
    expect(heidiSaw).not.toContain('alice');
    expect(heidiSaw).not.toContain('bob');
    expect(await friendRow(heidi, 'alice').count()).toBe(0);
  });
});
