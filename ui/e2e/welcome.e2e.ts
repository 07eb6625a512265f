import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, expect, inject, test } from 'vitest';
import { launch, RESULTS_DIR } from './browser';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(8_000);
});
afterEach(async () => {
  await page?.close();
});

test('a first start shows the welcome screen; trusting a self-signed certificate lands on the shell', async () => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(inject('baseUrl'));

  await page.getByRole('heading', { name: 'Welcome to Tern' }).waitFor();
  const form = page.getByRole('form', { name: 'Add account' });
  await form.waitFor();
  expect(await page.getByLabel('Port').inputValue()).toBe('993');

  await page.getByLabel('Your name').fill('Grace Hopper');
  await page.getByLabel('Email address').fill('grace@untrusted.example');
  await page.getByLabel('Password').fill('cobol');
  await page.getByLabel('IMAP server').fill('untrusted.example');
  expect(await page.getByLabel('User name').inputValue()).toBe('grace@untrusted.example');
  await page.getByRole('button', { name: 'Add account' }).click();

  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toContain('certificate isn’t trusted');
  const fingerprint = await alert.locator('code').textContent();
  expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  await page.screenshot({ path: `${RESULTS_DIR}/welcome-untrusted-certificate.png`, fullPage: true });

  await page.getByRole('button', { name: 'Trust this certificate and connect' }).click();

  const tree = page.getByRole('tree', { name: 'Grace Hopper' });
  await tree.waitFor();
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('treeitem', { name: 'Inbox' }).waitFor();
  expect(await tree.getByRole('treeitem').count()).toBeGreaterThanOrEqual(8);
  await page.getByRole('treeitem', { name: 'Inbox', selected: true }).waitFor();
  await page.getByRole('region', { name: 'Messages' }).getByRole('heading', { name: 'Inbox' }).waitFor();
  expect(errors).toEqual([]);
});
