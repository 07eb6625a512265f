import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { launch, RESULTS_DIR } from './browser';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function open(fixture: 'big' | 'demo', colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // One row per message: conversations have their own tests (list.e2e.ts, conversation.e2e.ts).
  await page.goto(`${inject('baseUrl')}?fixture=${fixture}&conversations=off`);
  await page.getByRole('listbox', { name: 'Messages' }).locator('[role="option"] .row:not(.placeholder)').first().waitFor();
  expect(errors).toEqual([]);
  return page;
}

/** The number of rows the list's summary announces ("N messages, …" or "N conversations, …"). */
async function listed(page: Page): Promise<number> {
  const summary = page.getByText(/^[\d,]+ (messages|conversations), [\d,]+ unread$/);
  await summary.waitFor();
  return Number((await summary.textContent())!.match(/^([\d,]+)/)![1]!.replace(/,/g, ''));
}


test('a 100,000-message Inbox scrolls to its end with only a window of rows in the DOM', async () => {
  const page = await open('big');
  const list = page.getByRole('listbox', { name: 'Messages' });
  const rows = await listed(page);
  expect(rows).toBeGreaterThan(10_000);
  const options = list.getByRole('option');
  expect(await options.count()).toBeLessThan(60);
  expect(await options.first().getAttribute('aria-setsize')).toBe(String(rows));

  // Scroll to the very end, the way a scrollbar drag would.
  await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  const last = list.locator(`[role="option"][aria-posinset="${rows}"]`);
  await last.locator('.row:not(.placeholder)').waitFor();
  expect(await last.isVisible()).toBe(true);
  expect(await last.textContent()).toMatch(/\w/);
  expect(await options.count()).toBeLessThan(60);
  expect(await page.locator('[role="option"]').count()).toBeLessThan(60);
  await page.screenshot({ path: `${RESULTS_DIR}/messages-big-end.png` });
  await page.close();
});

test('j/k and the arrow keys move the selection; the reader shows the selected message', async () => {
  const page = await open('demo');
  const list = page.getByRole('listbox', { name: 'Messages' });
  // Let the background sync land its new messages first, so positions stay put below.
  await page.getByText('2,400 messages,', { exact: false }).waitFor();
  await list.focus();
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  const selected = list.locator('[role="option"][aria-selected="true"]');
  expect(await selected.getAttribute('aria-posinset')).toBe('2');
  await page.keyboard.press('k');
  expect(await selected.getAttribute('aria-posinset')).toBe('1');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  expect(await selected.getAttribute('aria-posinset')).toBe('3');
  expect(await list.getAttribute('aria-activedescendant')).toBe(await selected.getAttribute('id'));

  const subject = (await selected.locator('.subject').textContent())!.trim();
  const reader = page.getByRole('region', { name: 'Reader' });
  await reader.getByRole('heading', { name: subject }).waitFor();
  await reader.getByTitle('Message').waitFor();

  // The focus ring is visible on the list.
  const ring = await list.evaluate((el) => getComputedStyle(el).boxShadow);
  expect(ring).not.toBe('none');

  await page.keyboard.press('End');
  await page.waitForFunction(() => {
    const option = document.querySelector('[role="option"][aria-selected="true"]');
    return !!option && option.getAttribute('aria-posinset') === option.getAttribute('aria-setsize');
  });
  await page.keyboard.press('Home');
  await list.locator('[role="option"][aria-selected="true"][aria-posinset="1"]').waitFor();
  await page.close();
});

test('screenshots of the shell with messages, light and dark', async () => {
  for (const scheme of ['light', 'dark'] as const) {
    const page = await open('demo', scheme);
    const list = page.getByRole('listbox', { name: 'Messages' });
    // Let the background sync finish (the three new messages arrive), then select one.
    await page.getByText('2,400 messages,', { exact: false }).waitFor();
    await list.locator('[role="option"][aria-posinset="2"]').click();
    await page.getByRole('region', { name: 'Reader' }).getByRole('heading').waitFor();
    await page.screenshot({ path: `${RESULTS_DIR}/messages-${scheme}.png` });
    await page.close();
  }
});

test('opening a message shows it in a sandboxed frame and marks it read', async () => {
  const page = await open('demo');
  const list = page.getByRole('listbox', { name: 'Messages' });
  await page.getByText('2,400 messages,', { exact: false }).waitFor();
  const summary = page.getByText(/^[\d,]+ (messages|conversations), [\d,]+ unread$/);
  const unreadBefore = Number((await summary.textContent())!.match(/([\d,]+) unread/)![1]!.replace(/,/g, ''));
  expect(unreadBefore).toBeGreaterThan(0);

  // The first unread message in the list.
  const unread = list.getByRole('option', { name: /^Unread,/ }).first();
  const position = await unread.getAttribute('aria-posinset');
  const subject = (await unread.locator('.subject').textContent())!.trim();
  await unread.click();

  const reader = page.getByRole('region', { name: 'Reader' });
  await reader.getByRole('heading', { name: subject }).waitFor();
  const frame = reader.getByTitle('Message');
  await frame.waitFor();
  expect(await frame.evaluate((el) => el.tagName)).toBe('IFRAME');
  expect(await frame.getAttribute('sandbox')).toBe('');
  expect(await frame.getAttribute('referrerpolicy')).toBe('no-referrer');
  expect(await frame.getAttribute('src')).toMatch(/^data:text\/html;charset=utf-8,/);
  // The document itself, inside the frame (no scripts run there).
  const body = page.frameLocator('iframe[title="Message"]');
  await body.getByRole('heading', { name: subject }).waitFor();
  await body.getByText('sandboxed frame', { exact: false }).waitFor();

  // Marked read: the row and the folder's unread count follow.
  await page.getByText(`2,400 messages, ${(unreadBefore - 1).toLocaleString('en-US')} unread`).waitFor();
  const row = list.locator(`[role="option"][aria-posinset="${position}"]`);
  await page.waitForFunction((pos) => !document.querySelector(`[role="option"][aria-posinset="${pos}"] .row.unread`), position);
  expect(await row.getAttribute('aria-label')).toBeNull();
  expect(await row.textContent()).not.toContain('Unread,');
  expect(await row.getAttribute('aria-selected')).toBe('true');
  await page.screenshot({ path: `${RESULTS_DIR}/reader.png` });
  await page.close();
});
