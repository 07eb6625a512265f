import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ListQuery, MessageRow } from '../src/ipc/bindings';
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

async function openDemo(): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, 860);
  // Let the background sync land its new messages first, and the list show them, so positions stay put.
  const summary = await opened.page.evaluate(async () => {
    const fake = (window as unknown as FakeWindow).ternFake;
    for (;;) {
      const counts = await fake.folderCounts('demo');
      if (counts.find((c) => c.path === 'INBOX')?.total === 2_400) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { conversations } = await fake.getSettings();
    const source = { kind: 'folder', accountId: 'demo', path: 'INBOX' } as const;
    const { total } = await fake.listRows({ source, sort: 'date', descending: true, filter: '', conversations }, 0, 0);
    return `${total.toLocaleString()} ${conversations ? 'conversations' : 'messages'},`;
  });
  await opened.page.getByText(summary, { exact: false }).waitFor();
  return opened;
}

/** Sample messages by what they carry (see `src/ipc/fake-view.ts`). */
type Kind = 'forwarded' | 'program' | 'remote' | 'unread';

/**
 * Selects with the keyboard the first Inbox row of a kind that is a message on its own (no
 * replies: the reader shows it alone, under its subject), and waits for its document. Returns the row.
 */
async function selectMessage(page: Page, kind: Kind): Promise<MessageRow> {
  const { index, row } = await page.evaluate(async (kind) => {
    const accept = (r: MessageRow) =>
      kind === 'forwarded'
        ? r.hasAttachment && r.uid % 3 === 0
        : kind === 'program'
          ? r.hasAttachment && r.uid % 3 === 1
          : kind === 'remote'
            ? r.uid % 4 === 0
            : !r.seen;
    const fake = (window as unknown as FakeWindow).ternFake;
    // The rows as the list shows them: newest first, as conversations unless the settings say otherwise.
    const query: ListQuery = {
      source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
      sort: 'date',
      descending: true,
      filter: '',
      conversations: (await fake.getSettings()).conversations,
    };
    const rows = (await fake.listRows(query, 0, 300)).rows;
    const index = rows.findIndex((r) => r.threadCount === 1 && accept(r));
    return { index, row: rows[index]! };
  }, kind);
  expect(index).toBeGreaterThanOrEqual(0);
  const list = page.getByRole('listbox', { name: 'Messages' });
  await list.focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < index; i++) await page.keyboard.press('j');
  await list.locator(`[role="option"][aria-selected="true"][aria-posinset="${index + 1}"]`).waitFor();
  const reader = page.getByRole('region', { name: 'Reader' });
  await reader.getByRole('heading', { name: row.subject, exact: true }).waitFor();
  await reader.getByTitle('Message', { exact: true }).waitFor();
  return row;
}

test('the list shows the first words of messages after their subjects, muted and cut to fit', async () => {
  const { page, errors } = await openDemo();
  const snippet = page.getByRole('listbox', { name: 'Messages' }).locator('.snippet').first();
  await snippet.waitFor();
  expect(await snippet.textContent()).toMatch(/Hi Ada Lovelace, This is message \d+ of the sample mailbox/);
  const line = snippet.locator('xpath=..');
  const style = await line.evaluate((el) => {
    const s = getComputedStyle(el);
    return { overflow: s.textOverflow, whiteSpace: s.whiteSpace, fits: el.scrollWidth > el.clientWidth };
  });
  expect(style).toEqual({ overflow: 'ellipsis', whiteSpace: 'nowrap', fits: true });
  const [subjectColour, snippetColour] = await line.evaluate((el) => [
    getComputedStyle(el.querySelector('.subject')!).color,
    getComputedStyle(el.querySelector('.snippet')!).color,
  ]);
  expect(snippetColour).not.toBe(subjectColour);
  expect(errors).toEqual([]);
  await page.close();
});

test('details, source, attachments and an attached message in the reader', async () => {
  const { page, errors } = await openDemo();
  const row = await selectMessage(page, 'forwarded');
  const reader = page.getByRole('region', { name: 'Reader' });

  // Every header field, then the raw source.
  await reader.getByRole('button', { name: 'Show details' }).click();
  const table = reader.getByRole('table', { name: 'Header fields' });
  await table.waitFor();
  expect(await table.getByRole('row').count()).toBeGreaterThanOrEqual(10);
  expect(await table.getByRole('row', { name: /^Subject/ }).getByRole('cell').textContent()).toBe(row.subject);
  await reader.getByRole('button', { name: 'View source' }).click();
  const source = reader.getByLabel('Message source');
  expect(await source.evaluate((el) => el.tagName)).toBe('PRE');
  expect(await source.textContent()).toContain(`Subject: ${row.subject}`);
  await page.screenshot({ path: `${RESULTS_DIR}/reader-details.png` });
  await reader.getByRole('button', { name: 'Show details' }).click();
  await reader.getByRole('button', { name: 'View source' }).click();
  await table.waitFor({ state: 'detached' });

  // Save: the app's save dialog answers with the place chosen.
  const attachments = reader.getByRole('list', { name: 'Attachments' });
  await attachments.getByRole('listitem', { name: /^report\.pdf,/ }).getByRole('button', { name: 'Save' }).click();
  await reader.getByRole('status').filter({ hasText: 'Saved to /home/ada/Downloads/report.pdf' }).waitFor();

  // The forwarded message opens in its own sandboxed frame, with its own notes.
  await attachments.getByRole('listitem', { name: /^Travel plans\.eml,/ }).getByRole('button', { name: 'Open message' }).click();
  const inner = reader.getByTitle('Attached message');
  await inner.waitFor();
  expect(await inner.getAttribute('sandbox')).toBe('');
  await page.frameLocator('iframe[title="Attached message"]').getByRole('heading', { name: 'Travel plans' }).waitFor();
  await reader.getByRole('region', { name: 'Disguised links' }).waitFor();
  expect(await reader.getByTitle('Message', { exact: true }).count()).toBe(0);

  // A click on its disguised link asks first.
  const innerUrl = (await inner.getAttribute('src'))!;
  await page.evaluate((url) => (window as unknown as FakeWindow).ternFake.clickLink(url, '4.1/1'), innerUrl);
  const warning = reader.getByRole('alertdialog', { name: 'Open this link?' });
  await warning.waitFor();
  expect(await warning.textContent()).toContain(
    'This link’s text shows https://airline.example/check-in, but it goes to checkin.airline-deals.example.',
  );
  expect(await warning.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(true);
  await page.screenshot({ path: `${RESULTS_DIR}/reader-link-warning.png` });
  await warning.getByRole('button', { name: 'Open anyway' }).click();
  await warning.waitFor({ state: 'detached' });
  // Opening is asynchronous: wait for the backend to have been asked.
  await page.waitForFunction(() => (window as unknown as FakeWindow).ternFake.openedLinks.length === 1);
  expect(await page.evaluate(() => (window as unknown as FakeWindow).ternFake.openedLinks)).toEqual([
    'https://checkin.airline-deals.example/start',
  ]);

  await reader.getByRole('button', { name: 'Back to the message' }).click();
  await reader.getByTitle('Message', { exact: true }).waitFor();
  expect(await inner.count()).toBe(0);

  // A plain link in the message opens straight away.
  const url = (await reader.getByTitle('Message', { exact: true }).getAttribute('src'))!;
  await page.evaluate((u) => (window as unknown as FakeWindow).ternFake.clickLink(u, '1/0'), url);
  await page.waitForFunction(() => (window as unknown as FakeWindow).ternFake.openedLinks.length === 2);
  expect(errors).toEqual([]);
  await page.close();
});

test('a program attachment is not opened, and says why', async () => {
  const { page, errors } = await openDemo();
  await selectMessage(page, 'program');
  const reader = page.getByRole('region', { name: 'Reader' });
  await reader.getByRole('listitem', { name: /^installer\.exe,/ }).getByRole('button', { name: 'Open' }).click();
  const alert = reader.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toContain('installer.exe is a program or script');
  await page.screenshot({ path: `${RESULTS_DIR}/reader-attachments.png` });
  expect(errors).toEqual([]);
  await page.close();
});

test('remote content always loads from a sender once asked, and the settings list them', async () => {
  const { page, errors } = await openDemo();
  const row = await selectMessage(page, 'remote');
  const sender = row.from[0]!.email;
  const reader = page.getByRole('region', { name: 'Reader' });
  await reader.getByRole('button', { name: `Always load from ${sender}` }).click();
  await reader.getByText(`Remote content is loaded for messages from ${sender}`).waitFor();
  await page.frameLocator('iframe[title="Message"]').getByText('[remote image 1]').waitFor();
  await page.screenshot({ path: `${RESULTS_DIR}/reader-remote-sender.png` });

  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  const senders = dialog.getByRole('list', { name: 'Remote content allowed for' });
  await senders.getByText(sender.toLowerCase()).waitFor();
  await page.screenshot({ path: `${RESULTS_DIR}/settings-panel.png` });
  await senders.getByRole('button', { name: 'Remove' }).click();
  await dialog.getByText(/^No senders yet\./).waitFor();
  await page.waitForFunction(async () => (await (window as unknown as FakeWindow).ternFake.getSettings()).remoteContentSenders.length === 0);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // Reopened, the message asks again.
  const list = page.getByRole('listbox', { name: 'Messages' });
  await list.focus();
  const selected = list.locator('[role="option"][aria-selected="true"]');
  const position = Number(await selected.getAttribute('aria-posinset'));
  await page.keyboard.press(position === 1 ? 'j' : 'k');
  await list.locator(`[role="option"][aria-selected="true"]:not([aria-posinset="${position}"])`).waitFor();
  // The next row may be a conversation, with several messages open.
  await reader.getByTitle('Message', { exact: true }).first().waitFor();
  await page.keyboard.press(position === 1 ? 'k' : 'j');
  await list.locator(`[role="option"][aria-selected="true"][aria-posinset="${position}"]`).waitFor();
  await reader.getByRole('heading', { name: row.subject, exact: true }).waitFor();
  await reader.getByRole('button', { name: 'Load remote content' }).waitFor();
  expect(errors).toEqual([]);
  await page.close();
});

test('with "Mark messages read" set to Never, opening a message leaves it unread', async () => {
  const { page, errors } = await openDemo();
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('combobox', { name: 'Mark messages read' }).selectOption({ label: 'Never' });
  await page.waitForFunction(
    async () => (await (window as unknown as FakeWindow).ternFake.getSettings()).markRead.kind === 'never',
  );
  const cache = dialog.getByRole('spinbutton', { name: 'Cache for downloaded messages' });
  await cache.fill('2048');
  await cache.press('Enter');
  await page.waitForFunction(async () => (await (window as unknown as FakeWindow).ternFake.getSettings()).cacheMb === 2048);
  await page.keyboard.press('Escape');

  const summary = page.getByText(/^[\d,]+ (conversations|messages), [\d,]+ unread$/);
  const before = (await summary.textContent())!;
  await selectMessage(page, 'unread');
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await summary.textContent()).toBe(before);
  expect(errors).toEqual([]);
  await page.close();
});
