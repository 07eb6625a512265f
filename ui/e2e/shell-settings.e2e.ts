import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AccountStatus } from '../src/ipc/bindings';
import type { FakeBackend } from '../src/ipc/fake';
import { launch, openFixture, RESULTS_DIR } from './browser';

/** The fake backend the page runs on (see `src/ipc/index.ts`). */
type FakeWindow = { ternFake: FakeBackend };

/** The fingerprint of `untrusted.example` in the fake (`UNTRUSTED_FINGERPRINT`). */
const FINGERPRINT =
  '3A:7F:19:C2:5E:88:04:B1:6D:2F:A0:93:E7:41:5C:0B:D8:22:6E:F4:91:3C:A7:58:0E:B6:72:1D:C9:84:2F:60';

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function open(fixture: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openFixture(browser, fixture);
  await opened.page.getByRole('treeitem', { name: 'Inbox', selected: true }).first().waitFor();
  return opened;
}

function setStatus(page: Page, accountId: string, status: AccountStatus) {
  return page.evaluate(
    ([accountId, status]) => (window as unknown as FakeWindow).ternFake.setStatus(accountId, status),
    [accountId, status] as const,
  );
}

test('the Settings screen: every section, accounts added and removed (after confirming)', async () => {
  const { page, errors } = await open('two');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  await nav.getByRole('treeitem', { name: /^All inboxes/ }).waitFor();

  // Ctrl+, and the gear both open it; it is a modal dialog with its sections.
  await page.keyboard.press('Control+,');
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.waitFor();
  for (const name of ['Accounts', 'Appearance', 'Reading', 'Notifications', 'Storage'])
    await dialog.getByRole('region', { name }).waitFor();
  expect(await dialog.getByRole('list', { name: 'Accounts' }).getByRole('listitem').count()).toBe(2);
  await dialog.getByRole('switch', { name: 'Desktop notifications for new mail' }).waitFor();
  await dialog.getByRole('spinbutton', { name: 'Cache for downloaded messages' }).waitFor();
  await dialog.getByRole('combobox', { name: 'Mark messages read' }).waitFor();
  await page.screenshot({ path: `${RESULTS_DIR}/settings.png` });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  const gear = nav.getByRole('button', { name: 'Settings' });
  await gear.click();
  await dialog.waitFor();

  // Add account opens the add-account dialog over it.
  await dialog.getByRole('button', { name: 'Add account' }).click();
  const add = page.getByRole('dialog', { name: 'Add account' });
  await add.getByLabel('Email address').waitFor();
  await page.keyboard.press('Escape');
  await add.waitFor({ state: 'hidden' });
  await dialog.waitFor();

  // Removing asks first; Cancel keeps the account.
  await dialog.getByRole('button', { name: 'Remove Ada at Analytical' }).click();
  const confirm = dialog.getByRole('group', { name: /^Remove Ada at Analytical from Tern\?/ });
  await confirm.waitFor();
  expect(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(
    true,
  );
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'hidden' });
  expect(await page.evaluate(() => (window as unknown as FakeWindow).ternFake.listAccounts().then((a) => a.length))).toBe(
    2,
  );

  await dialog.getByRole('button', { name: 'Remove Ada at Analytical' }).click();
  await confirm.getByRole('button', { name: 'Remove account' }).click();
  await expect.poll(() => dialog.getByRole('list', { name: 'Accounts' }).getByRole('listitem').count()).toBe(1);
  // One account left: no unified inbox, no second tree.
  await nav.getByRole('tree', { name: 'Ada at Analytical' }).waitFor({ state: 'detached' });
  expect(await nav.getByRole('treeitem', { name: /^All inboxes/ }).count()).toBe(0);

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(await gear.evaluate((el) => el === document.activeElement)).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
});

test('a refused password: the banner asks for it again, explains a wrong one, and the account comes back', async () => {
  const { page, errors } = await open('demo');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  await setStatus(page, 'demo', { state: 'authNeeded', reason: 'the server rejected the user name or password' });
  await nav.getByRole('img', { name: 'Password needed' }).waitFor();
  await nav.getByText('Tern can’t sign in to imap.example.org.').waitFor();

  await nav.getByRole('button', { name: 'Re-enter password' }).click();
  const dialog = page.getByRole('dialog', { name: 'Re-enter password' });
  const field = dialog.getByLabel('Password');
  expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
  await field.fill('wrong');
  await page.keyboard.press('Enter');
  const alert = dialog.getByRole('alert');
  await alert.getByText('Wrong user name or password').waitFor();
  expect(await alert.textContent()).toContain('app password');
  await page.screenshot({ path: `${RESULTS_DIR}/reenter-password-error.png` });

  await field.fill('analytical engine');
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  expect(await nav.getByRole('button', { name: 'Re-enter password' }).count()).toBe(0);
  expect(errors).toEqual([]);
  await page.close();
});

test('a certificate that needs attention: its fingerprint, and trusting it after confirming', async () => {
  const { page, errors } = await open('demo');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  await setStatus(page, 'demo', {
    state: 'certificateNeeded',
    reason: 'the certificate of imap.example.org changed',
    fingerprint: FINGERPRINT,
  });
  await nav.getByText(FINGERPRINT).waitFor();
  await page.screenshot({ path: `${RESULTS_DIR}/certificate-banner.png` });

  await nav.getByRole('button', { name: 'Trust this certificate' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Trust this certificate?' });
  await dialog.getByText(FINGERPRINT).waitFor();
  // The safe choice has the keyboard: Enter now would cancel.
  expect(await dialog.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(
    true,
  );
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  expect(await nav.getByRole('button', { name: 'Trust this certificate' }).evaluate((el) => el === document.activeElement)).toBe(true);

  await nav.getByRole('button', { name: 'Trust this certificate' }).click();
  await dialog.getByRole('button', { name: 'Trust and connect' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  const pinned = await page.evaluate(() =>
    (window as unknown as FakeWindow).ternFake.listAccounts().then((a) => a[0]!.imap.pinnedCertSha256),
  );
  expect(pinned).toBe(FINGERPRINT);
  expect(errors).toEqual([]);
  await page.close();
});

test('offline: the banner retries now', async () => {
  const { page, errors } = await open('demo');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  await setStatus(page, 'demo', {
    state: 'offline',
    reason: 'connection reset',
    retryAtMs: Date.now() + 120_000,
    attempts: 3,
  });
  await nav.getByText(/^Offline\. Connection reset\./).waitFor();
  await nav.getByRole('button', { name: 'Retry now' }).click();
  await nav.getByRole('img', { name: 'Online' }).waitFor();
  expect(errors).toEqual([]);
  await page.close();
});
