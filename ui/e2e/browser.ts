import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium; never a downloaded one (this network has no browser downloads). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

export async function launch(): Promise<Browser> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Opens the app on the fake backend's demo fixture in a new page of `height` pixels, collecting
 * page errors and console errors so a test can assert there were none.
 */
export async function openDemo(
  browser: Browser,
  height = 800,
  /** More of the query string, such as `&conversations=off` (one row per message). */
  query = '',
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${inject('baseUrl')}?fixture=demo${query}`);
  return { page, errors };
}

/** Opens the app on the fake backend's `fixture` (`big`, `two`, …) in a new page, like {@link openDemo}. */
export async function openFixture(
  browser: Browser,
  fixture: string,
  height = 800,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${inject('baseUrl')}?fixture=${encodeURIComponent(fixture)}`);
  return { page, errors };
}
