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

async function openDemo(colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme });
  page.setDefaultTimeout(8_000);
  await page.goto(`${inject('baseUrl')}?fixture=demo`);
  await page.getByRole('treeitem', { name: 'Inbox', selected: true }).waitFor();
  return page;
}

test('?fixture=demo opens the shell with the inbox selected and the folder tree', async () => {
  const page = await openDemo('light');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  const tree = nav.getByRole('tree', { name: 'Ada Lovelace' });
  const items = tree.getByRole('treeitem');
  const names = (await items.evaluateAll((els) => els.map((el) => el.querySelector('.name')?.textContent)));
  expect(names).toEqual([
    'Inbox', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash',
    'Entwürfe', 'Receipts', 'Work', 'Projects', 'Tern',
  ]);
  expect(await tree.getByRole('treeitem', { name: 'Projects' }).getAttribute('aria-level')).toBe('2');
  expect(await tree.getByRole('treeitem', { name: 'Work' }).getAttribute('aria-disabled')).toBe('true');
  expect(await tree.getByRole('treeitem', { name: 'Work' }).getAttribute('aria-expanded')).toBe('true');

  // The storage quota sits under the folder tree.
  const quota = nav.getByRole('meter', { name: 'Storage used' });
  await quota.getByText('1.3 GB of 5 GB used').waitFor();
  expect(await quota.getAttribute('aria-valuetext')).toBe('1.3 GB of 5 GB used');

  await page.getByRole('region', { name: 'Messages' }).getByRole('heading', { name: 'Inbox' }).waitFor();
  await page.getByRole('listbox', { name: 'Messages' }).getByRole('option').first().waitFor();
  await page.getByRole('region', { name: 'Reader' }).getByText('Select a message to read it').waitFor();

  // Keyboard: Tab reaches the tree on the selected item, the focus ring is visible, arrows move, Enter selects.
  await page.locator('body').click({ position: { x: 900, y: 700 } });
  await page.keyboard.press('Tab');
  const focused = page.locator(':focus');
  expect(await focused.getAttribute('role')).toBe('treeitem');
  expect(await focused.textContent()).toContain('Inbox');
  const outline = await focused.evaluate((el) => {
    const s = getComputedStyle(el);
    return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  expect(outline.style).not.toBe('none');
  expect(outline.width).toBeGreaterThan(0);

  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  expect(await page.locator(':focus').textContent()).toContain('Sent');
  await page.keyboard.press('Enter');
  await page.getByRole('treeitem', { name: 'Sent', selected: true }).waitFor();
  await page.getByRole('region', { name: 'Messages' }).getByRole('heading', { name: 'Sent' }).waitFor();

  // A folder that only holds other folders cannot be opened.
  await tree.getByRole('treeitem', { name: 'Work' }).click({ force: true });
  expect(await tree.getByRole('treeitem', { name: 'Work' }).getAttribute('aria-selected')).toBe('false');
  await tree.getByRole('treeitem', { name: 'Entwürfe' }).click();
  await page.getByRole('region', { name: 'Messages' }).getByRole('heading', { name: 'Entwürfe' }).waitFor();
  await page.getByText('No messages in Entwürfe').waitFor();

  // The add-account dialog opens from the sidebar footer and closes with Escape.
  await nav.getByRole('button', { name: 'Add account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add account' });
  await dialog.waitFor();
  await dialog.getByLabel('Email address').waitFor();
  await page.screenshot({ path: `${RESULTS_DIR}/add-account-dialog.png` });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });

  await tree.getByRole('treeitem', { name: 'Inbox' }).click();
  await page.screenshot({ path: `${RESULTS_DIR}/shell-light.png` });
  await page.close();
});

test('dark mode follows the system colour scheme', async () => {
  const background = (page: Page) =>
    page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await openDemo('light');
  const dark = await openDemo('dark');
  const lightBg = await background(light);
  const darkBg = await background(dark);
  expect(darkBg).not.toBe(lightBg);
  const luminance = (rgb: string) => (rgb.match(/\d+/g) ?? []).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  expect(luminance(darkBg)).toBeLessThan(luminance(lightBg));
  await dark.screenshot({ path: `${RESULTS_DIR}/shell-dark.png` });
  await light.close();
  await dark.close();
});
