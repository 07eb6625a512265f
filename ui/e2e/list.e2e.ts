import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ListQuery, MessageRow } from '../src/ipc/bindings';
import type { FakeBackend } from '../src/ipc/fake';
import { launch, openFixture, RESULTS_DIR } from './browser';

/** The fake backend the page runs on (see `src/ipc/index.ts`). */
type FakeWindow = { ternFake: FakeBackend };

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  errors: string[];
  list: Locator;
  pane: Locator;
  /** The query the list shows (conversations or single messages, as the settings say). */
  query: ListQuery;
}

/** The app on `?fixture=big`: the demo account's Inbox with 100,000 messages. */
async function openBig(): Promise<Opened> {
  const { page, errors } = await openFixture(browser, 'big');
  const pane = page.getByRole('region', { name: 'Messages' });
  const list = pane.getByRole('listbox', { name: 'Messages' });
  await list.getByRole('option').first().waitFor();
  const summary = await pane.getByText(/^[\d,]+ (messages|conversations), [\d,]+ unread$/).textContent();
  const query: ListQuery = {
    source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
    sort: 'date',
    descending: true,
    filter: '',
    conversations: /conversations/.test(summary ?? ''),
  };
  return { page, errors, list, pane, query };
}

/** The fake's rows `offset`.. of a query, as the engine would list them. */
function rows(
  page: Page,
  query: ListQuery,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: MessageRow[] }> {
  return page.evaluate(
    ([query, offset, limit]) => (window as unknown as FakeWindow).ternFake.listRows(query, offset, limit),
    [query, offset, limit] as const,
  );
}

/** The number in the header's summary ("12,345 conversations, …"). */
async function shownTotal(pane: Locator): Promise<number> {
  const text = await pane.getByText(/^[\d,]+ (messages|conversations), [\d,]+ unread$/).textContent();
  return Number(/^([\d,]+)/.exec(text ?? '')![1]!.replace(/,/g, ''));
}

const subjectOf = async (option: Locator) => ((await option.locator('.subject').textContent()) ?? '').trim();

test('scrolling to the end of 100,000 messages renders only a window of rows and reaches the last one', async () => {
  const { page, errors, list, pane, query } = await openBig();
  const total = await shownTotal(pane);
  expect((await rows(page, query, 0, 1)).total).toBe(total);
  if (!query.conversations) expect(total).toBe(100_000);
  expect(await list.getByRole('option').count()).toBeLessThan(100);
  expect(await list.getByRole('option').first().getAttribute('aria-setsize')).toBe(String(total));

  // Scroll down in big steps, as a user dragging the scrollbar would, then to the very end.
  for (const fraction of [0.25, 0.5, 0.75, 1]) {
    await list.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), fraction);
    await page.waitForTimeout(50);
    expect(await list.getByRole('option').count()).toBeLessThan(100);
  }
  const last = list.locator(`[role="option"][aria-posinset="${total}"]`);
  await last.locator('.subject').waitFor();
  const expected = (await rows(page, query, total - 1, 1)).rows[0]!;
  expect(await subjectOf(last)).toBe(expected.subject.trim());
  const count = await list.getByRole('option').count();
  expect(count).toBeGreaterThan(3);
  expect(count).toBeLessThan(100);

  // The keyboard gets there too: Home, then End.
  await list.focus();
  await page.keyboard.press('Home');
  await list.locator('[role="option"][aria-posinset="1"][aria-selected="true"]').waitFor();
  await page.keyboard.press('End');
  await list.locator(`[role="option"][aria-posinset="${total}"][aria-selected="true"]`).waitFor();
  expect(await list.getByRole('option').count()).toBeLessThan(100);
  await page.screenshot({ path: `${RESULTS_DIR}/list-end.png` });
  expect(errors).toEqual([]);
});

test('the filter narrows the list by sender and subject as the user types; sorting by sender reorders it', async () => {
  const { page, errors, list, pane, query } = await openBig();
  const total = await shownTotal(pane);

  const filter = pane.getByRole('searchbox', { name: 'Filter messages' });
  await filter.click();
  await page.keyboard.type('grace lunch');
  const narrowed = await rows(page, { ...query, filter: 'grace lunch' }, 0, 20);
  expect(narrowed.total).toBeGreaterThan(0);
  expect(narrowed.total).toBeLessThan(total);
  await pane.getByText(new RegExp(`^${narrowed.total.toLocaleString('en-US')} (messages|conversations),`)).waitFor();
  await expect
    .poll(async () => subjectOf(list.getByRole('option').first()))
    .toBe(narrowed.rows[0]!.subject.trim());
  for (const text of await list.getByRole('option').allTextContents()) expect(text).toMatch(/lunch/i);

  // Clearing the filter brings every row back.
  await filter.fill('');
  await pane.getByText(new RegExp(`^${total.toLocaleString('en-US')} (messages|conversations),`)).waitFor();

  // Sort by sender: A first, and the order is the engine's.
  const firstFive = async () => (await list.getByRole('option').allTextContents()).slice(0, 5);
  const before = await firstFive();
  await pane.getByRole('combobox', { name: 'Sort by' }).selectOption({ label: 'Sender' });
  const bySender = await rows(page, { ...query, sort: 'sender', descending: false }, 0, 5);
  await expect.poll(async () => subjectOf(list.getByRole('option').first())).toBe(bySender.rows[0]!.subject.trim());
  const senders = await firstFive();
  bySender.rows.forEach((row, i) => expect(senders[i]).toContain(row.from[0]!.name ?? row.from[0]!.email));
  expect(senders).not.toEqual(before);
  // And back the other way with the direction button.
  await pane.getByRole('button', { name: 'Descending' }).click();
  const reversed = await rows(page, { ...query, sort: 'sender', descending: true }, 0, 1);
  await expect.poll(async () => subjectOf(list.getByRole('option').first())).toBe(reversed.rows[0]!.subject.trim());
  expect(errors).toEqual([]);
});

test('the selection (several rows) survives new mail arriving above it', async () => {
  const { page, errors, list, pane } = await openBig();
  const total = await shownTotal(pane);
  const options = list.getByRole('option');
  await options.nth(4).locator('.subject').waitFor();
  await options.nth(2).click();
  await options.nth(4).click({ modifiers: ['Shift'] });
  const selected = list.locator('[role="option"][aria-selected="true"]');
  await expect.poll(() => selected.count()).toBe(3);
  const subjects = await Promise.all([0, 1, 2].map((i) => subjectOf(selected.nth(i))));

  await page.evaluate(() =>
    (window as unknown as FakeWindow).ternFake.deliver('demo', 'INBOX', {
      subject: 'Launch window confirmed',
      from: [{ name: 'Katherine Johnson', email: 'kjohnson@langley.example' }],
    }),
  );
  const fresh = list.getByRole('option', { name: /Launch window confirmed/ });
  await fresh.waitFor();
  expect(await fresh.getAttribute('aria-posinset')).toBe('1');
  await pane.getByText(new RegExp(`^${(total + 1).toLocaleString('en-US')} `)).waitFor();
  // The same three rows are still selected, one place down.
  await expect
    .poll(() => selected.evaluateAll((all) => all.map((o) => o.getAttribute('aria-posinset'))))
    .toEqual(['4', '5', '6']);
  expect(await Promise.all([0, 1, 2].map((i) => subjectOf(selected.nth(i))))).toEqual(subjects);
  expect(await list.getAttribute('aria-activedescendant')).toBe(await selected.nth(2).getAttribute('id'));
  await page.screenshot({ path: `${RESULTS_DIR}/list-live-selection.png` });
  expect(errors).toEqual([]);
});

test('the unified inbox lists both accounts’ inboxes, naming the account on each row', async () => {
  const { page, errors } = await openFixture(browser, 'two');
  const nav = page.getByRole('navigation', { name: 'Folders' });
  const all = nav.getByRole('treeitem', { name: /All inboxes/ });
  await all.click();
  expect(await all.getAttribute('aria-selected')).toBe('true');
  const pane = page.getByRole('region', { name: 'Messages' });
  await pane.getByRole('heading', { name: 'All inboxes' }).waitFor();
  const list = pane.getByRole('listbox', { name: 'Messages' });
  await list.getByRole('option').first().locator('.account').waitFor();
  const names = await list.locator('[role="option"] .account').allTextContents();
  expect(new Set(names.map((n) => n.replace(/^,\s*in\s*/, '').trim()))).toEqual(
    new Set(['Ada Lovelace', 'Ada at Analytical']),
  );
  await page.screenshot({ path: `${RESULTS_DIR}/list-all-inboxes.png` });
  expect(errors).toEqual([]);
});
