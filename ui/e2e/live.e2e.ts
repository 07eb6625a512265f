import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { FakeBackend } from '../src/ipc/fake';
import { launch, openDemo as openPage, RESULTS_DIR } from './browser';

/** The fake backend the page runs on (see `src/ipc/index.ts`). */
type FakeWindow = { ternFake: FakeBackend };

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});


/** The unread count a folder shows in the sidebar (0 when it shows none). */
async function unread(item: Locator): Promise<number> {
  const match = /([\d,]+)\s*unread/.exec((await item.textContent()) ?? '');
  return match ? Number(match[1]!.replace(/,/g, '')) : 0;
}

async function waitForUnread(item: Locator, expected: number): Promise<void> {
  for (let i = 0; i < 100 && (await unread(item)) !== expected; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await unread(item)).toBe(expected);
}

test('new mail appears on top by itself; the unread count rises and the selected message stays selected', async () => {
  const { page, errors } = await openPage(browser, 800, '&conversations=off');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  const messages = page.getByRole('region', { name: 'Messages' });
  const list = messages.getByRole('listbox', { name: 'Messages' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  // The engine's catch-up at start brings the three messages the cache had not seen, untouched by the UI.
  await messages.getByText('2,400 messages,', { exact: false }).waitFor();

  const inbox = nav.getByRole('treeitem', { name: 'Inbox' });
  expect(await inbox.getAttribute('aria-selected')).toBe('true');
  const initial = await unread(inbox);
  expect(initial).toBeGreaterThan(0);

  // Select the second message; opening it marks it read when it was unread.
  const second = list.getByRole('option').nth(1);
  const wasUnread = /^Unread,/.test((await second.textContent())!.trim());
  await second.click();
  const selected = list.getByRole('option', { selected: true });
  expect(await selected.getAttribute('aria-posinset')).toBe('2');
  const subject = (await selected.locator('.subject').textContent())!.trim();
  await page.getByRole('region', { name: 'Reader' }).getByRole('heading', { name: subject }).waitFor();
  await page.getByRole('region', { name: 'Reader' }).getByTitle('Message').waitFor();
  const before = initial - (wasUnread ? 1 : 0);
  await waitForUnread(inbox, before);

  const delivered = await page.evaluate(() =>
    (window as unknown as FakeWindow).ternFake.deliver('demo', 'INBOX', {
      subject: 'Launch window confirmed',
      from: [{ name: 'Katherine Johnson', email: 'kjohnson@langley.example' }],
    }),
  );
  expect(delivered.seen).toBe(false);

  // It appears at the top of the list without any action.
  const fresh = list.getByRole('option', { name: /Launch window confirmed/ });
  await fresh.waitFor();
  expect(await fresh.getAttribute('aria-posinset')).toBe('1');
  expect(await fresh.textContent()).toContain('Katherine Johnson');
  await messages.getByText('2,401 messages,', { exact: false }).waitFor();
  // The sidebar's unread count went up by one.
  await waitForUnread(inbox, before + 1);
  // The selected message is still selected (one place down) and still in the reader.
  await list.locator('[role="option"][aria-selected="true"][aria-posinset="3"]').waitFor();
  expect((await selected.locator('.subject').textContent())!.trim()).toBe(subject);
  expect(await list.getAttribute('aria-activedescendant')).toBe(await selected.getAttribute('id'));
  await page.getByRole('region', { name: 'Reader' }).getByRole('heading', { name: subject }).waitFor();
  expect(await list.getByRole('option', { selected: true }).count()).toBe(1);

  await page.screenshot({ path: `${RESULTS_DIR}/live-new-mail.png` });
  expect(errors).toEqual([]);
  await page.close();
});

test('an offline account says so, counts down and reconnects with Retry now', async () => {
  const { page, errors } = await openPage(browser);
  const nav = page.getByRole('navigation', { name: 'Folders' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  await page.evaluate(() =>
    (window as unknown as FakeWindow).ternFake.setStatus('demo', {
      state: 'offline',
      reason: 'could not reach imap.example.org:993: the network is down',
      retryAtMs: Date.now() + 30_000,
      attempts: 2,
    }),
  );
  const indicator = nav.getByRole('img', { name: /^Offline — retrying in \d+ s$/ });
  await indicator.waitFor();
  const first = await indicator.getAttribute('aria-label');
  await nav.getByRole('img', { name: /^Offline — retrying in \d+ s$/ }).and(page.locator(`:not([aria-label="${first}"])`)).waitFor();
  await nav.getByText('Could not reach imap.example.org:993: the network is down.').waitFor();
  await page.screenshot({ path: `${RESULTS_DIR}/live-offline.png` });

  await nav.getByRole('button', { name: 'Retry now' }).click();
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  expect(await nav.getByRole('button', { name: 'Retry now' }).count()).toBe(0);
  expect(errors).toEqual([]);
  await page.close();
});

test('desktop notifications are switched in the settings popover', async () => {
  const { page, errors } = await openPage(browser);
  const nav = page.getByRole('navigation', { name: 'Folders' });
  const gear = nav.getByRole('button', { name: 'Settings' });
  await gear.click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  const toggle = dialog.getByRole('switch', { name: 'Desktop notifications for new mail' });
  await toggle.waitFor();
  expect(await toggle.isChecked()).toBe(true);
  await page.screenshot({ path: `${RESULTS_DIR}/settings-popover.png` });

  // Keyboard: the dialog starts on its title; on the switch, Space turns it off.
  await toggle.focus();
  await page.keyboard.press('Space');
  expect(await toggle.isChecked()).toBe(false);
  await page.waitForFunction(async () => !(await (window as unknown as FakeWindow).ternFake.getSettings()).notifications);

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(await gear.evaluate((el) => el === document.activeElement)).toBe(true);
  await gear.click();
  expect(await page.getByRole('dialog', { name: 'Settings' }).getByRole('switch', { name: 'Desktop notifications for new mail' }).isChecked()).toBe(false);
  expect(errors).toEqual([]);
  await page.close();
});
