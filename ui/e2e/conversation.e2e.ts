import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ListQuery, MessageRow } from '../src/ipc/bindings';
import type { FakeBackend } from '../src/ipc/fake';
import { conversationSubject } from '../src/features/reader/conversation';
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

/** The demo account's Inbox as the list shows it: newest first, one row per conversation. */
const INBOX: ListQuery = {
  source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
  sort: 'date',
  descending: true,
  filter: '',
  conversations: true,
};

/** A conversation of the demo Inbox: the list's row, its place in the list and its messages (oldest first). */
interface Found {
  index: number;
  row: MessageRow;
  members: MessageRow[];
}

async function openDemo(): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, 900);
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

/**
 * The first conversation in the Inbox with a reply of the user's from Sent and an older read
 * message (folded when it opens).
 */
async function findConversation(page: Page): Promise<Found> {
  const found = await page.evaluate(async (query) => {
    const fake = (window as unknown as FakeWindow).ternFake;
    const rows = (await fake.listRows(query, 0, 300)).rows;
    for (const [index, row] of rows.entries()) {
      if (row.threadCount < 3) continue;
      const members = await fake.conversation(row.accountId, row.path, row.uid);
      const older = members.slice(0, -1);
      if (members.some((m) => m.path === 'Sent') && older.some((m) => m.seen && m.path !== 'Sent'))
        return { index, row, members };
    }
    return null;
  }, INBOX);
  expect(found, 'the demo Inbox has a conversation with a reply from Sent').not.toBeNull();
  return found!;
}

/** Selects the list's row `index` with the keyboard and waits for the conversation's stack. */
async function select(page: Page, found: Found): Promise<Locator> {
  const list = page.getByRole('listbox', { name: 'Messages' });
  await list.focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < found.index; i++) await page.keyboard.press('j');
  await list.locator(`[role="option"][aria-selected="true"][aria-posinset="${found.index + 1}"]`).waitFor();
  const reader = page.getByRole('region', { name: 'Reader' });
  const subject = conversationSubject(found.members[0]!.subject);
  await reader.getByRole('heading', { level: 2, name: subject, exact: true }).waitFor();
  await reader.getByRole('article').nth(found.members.length - 1).waitFor();
  return reader;
}

const toggle = (article: Locator) => article.locator('h3 > button');

test('a conversation opens as a stack: older read messages folded, the newest open, your reply marked', async () => {
  const { page, errors } = await openDemo();
  const found = await findConversation(page);
  const reader = await select(page, found);
  const articles = reader.getByRole('article');
  expect(await articles.count()).toBe(found.members.length);
  // One article element per message, and no other in the reader.
  const elements = page.locator("xpath=//section[@aria-label='Reader']//article");
  expect(await elements.count()).toBe(found.members.length);
  expect(await reader.getByText(`${found.members.length} messages`, { exact: true }).count()).toBe(1);

  // Oldest first, each named by its sender and date; the reply from Sent is "You".
  const names = await articles.evaluateAll((all) => all.map((a) => a.getAttribute('aria-label') ?? ''));
  found.members.forEach((member, i) => {
    const sender = member.path === 'Sent' ? 'You' : member.from[0]!.name?.trim() || member.from[0]!.email;
    expect(names[i]!.startsWith(`${sender}, `), `${names[i]} is from ${sender}`).toBe(true);
  });

  // The newest is open with its own sandboxed document; older read ones are one line.
  const newest = articles.last();
  expect(await toggle(newest).getAttribute('aria-expanded')).toBe('true');
  const frame = newest.getByTitle('Message', { exact: true });
  expect(await frame.getAttribute('sandbox')).toBe('');
  const body = newest.frameLocator('iframe[title="Message"]');
  await body.getByText(`This is message ${found.members.at(-1)!.uid} `).waitFor();
  for (const [i, member] of found.members.entries()) {
    if (i === found.members.length - 1 || !member.seen) continue;
    const article = articles.nth(i);
    expect(await toggle(article).getAttribute('aria-expanded')).toBe('false');
    expect(await article.locator('iframe').count()).toBe(0);
  }
  await page.screenshot({ path: `${RESULTS_DIR}/conversation.png` });

  // Every message shown open that was unread is marked read.
  const { accountId, path, uid } = found.row;
  await page.waitForFunction(
    async ([accountId, path, uid]) =>
      (await (window as unknown as FakeWindow).ternFake.conversation(accountId, path, uid)).every((m) => m.seen),
    [accountId, path, uid] as const,
  );

  // Expand all, collapse all.
  await reader.getByRole('button', { name: 'Expand all' }).click();
  await page.waitForFunction(
    (count) =>
      document.querySelectorAll('section[aria-label="Reader"] article iframe[title="Message"]').length === count,
    found.members.length,
  );
  await reader.getByRole('button', { name: 'Collapse all' }).click();
  expect(await reader.locator('iframe').count()).toBe(0);
  expect(await reader.getByRole('button', { name: 'Expand all' }).count()).toBe(1);
  expect(errors).toEqual([]);
  await page.close();
});

test('folded messages are reached with Tab, the focus shown, and open and fold with Enter and Space', async () => {
  const { page, errors } = await openDemo();
  const found = await findConversation(page);
  const reader = await select(page, found);
  const first = reader.getByRole('article').first();
  expect(await toggle(first).getAttribute('aria-expanded')).toBe('false');

  // From the control above the stack, Tab reaches the first message's line.
  await reader.getByRole('button', { name: /^(Expand|Collapse) all$/ }).focus();
  await page.keyboard.press('Tab');
  expect(await toggle(first).evaluate((el) => el === document.activeElement)).toBe(true);
  const outline = await toggle(first).evaluate((el) => {
    const style = getComputedStyle(el);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth), visible: el.matches(':focus-visible') };
  });
  expect(outline.visible).toBe(true);
  expect(outline.style).not.toBe('none');
  expect(outline.width).toBeGreaterThan(0);
  await page.screenshot({ path: `${RESULTS_DIR}/conversation-focus.png` });

  await page.keyboard.press('Enter');
  expect(await toggle(first).getAttribute('aria-expanded')).toBe('true');
  await first.getByTitle('Message', { exact: true }).waitFor();
  expect(await toggle(first).evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press('Space');
  expect(await toggle(first).getAttribute('aria-expanded')).toBe('false');
  expect(await first.locator('iframe').count()).toBe(0);

  // Tab moves on to the next message's line.
  await page.keyboard.press('Tab');
  expect(await toggle(reader.getByRole('article').nth(1)).evaluate((el) => el === document.activeElement)).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
});

test('a reply that arrives joins the open conversation, which keeps what the user opened', async () => {
  const { page, errors } = await openDemo();
  const found = await findConversation(page);
  const reader = await select(page, found);
  const articles = reader.getByRole('article');
  // The user opens the first message.
  await toggle(articles.first()).click();
  await articles.first().getByTitle('Message', { exact: true }).waitFor();

  const newest = found.members.at(-1)!;
  const reply = await page.evaluate(
    async ({ subject, threadId, to }) =>
      (window as unknown as FakeWindow).ternFake.deliver('demo', 'INBOX', {
        subject: `Re: ${subject}`,
        threadId,
        from: [{ name: 'Grace Hopper', email: 'grace@navy.example' }],
        to,
        snippet: 'One more thing before Saturday',
      }),
    { subject: conversationSubject(newest.subject), threadId: found.row.threadId, to: newest.to },
  );
  await articles.nth(found.members.length).waitFor();
  expect(await articles.count()).toBe(found.members.length + 1);
  // The new message is open (unread and newest); the first stays open, the folded ones stay folded.
  const added = articles.last();
  expect(await toggle(added).getAttribute('aria-expanded')).toBe('true');
  await added.frameLocator('iframe[title="Message"]').getByText(`This is message ${reply.uid} `).waitFor();
  expect(await toggle(articles.first()).getAttribute('aria-expanded')).toBe('true');
  expect(await articles.first().locator('iframe[title="Message"]').count()).toBe(1);
  await page.screenshot({ path: `${RESULTS_DIR}/conversation-reply.png` });
  expect(errors).toEqual([]);
  await page.close();
});
