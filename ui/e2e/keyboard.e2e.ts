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

/** The Inbox of `?fixture=big`, as conversations (the default setting). */
const INBOX: ListQuery = {
  source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
  sort: 'date',
  descending: true,
  filter: '',
  conversations: true,
};

/** The fake's row at `index` of the Inbox list, as it is now. */
async function rowAt(page: Page, index: number): Promise<MessageRow> {
  const page0 = await page.evaluate(
    ([query, index]) => (window as unknown as FakeWindow).ternFake.listRows(query, index, 1),
    [INBOX, index] as const,
  );
  return page0.rows[0]!;
}

/** The reader shows the row: its subject (a conversation's, without "Re:") is the reader's title. */
async function showsRow(reader: Locator, row: MessageRow) {
  const base = row.subject.replace(/^((re|fwd?|aw):\s*)+/i, '').trim();
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await reader.getByRole('heading', { level: 2, name: new RegExp(`${escaped}$`) }).waitFor();
}

/** The 1-based positions of the selected rows among those rendered. */
function selected(list: Locator): Promise<number[]> {
  return list.evaluate((el) =>
    Array.from(el.querySelectorAll('[role="option"][aria-selected="true"]'), (o) =>
      Number(o.getAttribute('aria-posinset')),
    ),
  );
}

async function expectSelected(list: Locator, positions: number[]) {
  await expect.poll(() => selected(list)).toEqual(positions);
}

/**
 * Waits for the engine's first sync after the start to end (the account online, then no call from the UI
 * for a while: each folder the sync reports makes the panes read again), so rows stay where they are.
 */
async function settled(page: Page) {
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('img', { name: 'Online' }).waitFor();
  const calls = () => page.evaluate(() => (window as unknown as FakeWindow).ternFake.calls.length);
  let last = -1;
  for (let quiet = 0; quiet < 4; ) {
    const now = await calls();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
    await page.waitForTimeout(250);
  }
}

/** What has the keyboard, and whether it shows it (an outline, or the list's inset ring). */
function focus(page: Page): Promise<{ role: string | null; label: string | null; ring: boolean; focusVisible: boolean } | null> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
    return {
      role: el.getAttribute('role') ?? el.tagName.toLowerCase(),
      label: el.getAttribute('aria-label'),
      ring: outline || shadow,
      focusVisible: el.matches(':focus-visible'),
    };
  });
}

/** The keyboard is somewhere, and it shows. */
async function expectVisibleFocus(page: Page) {
  const now = await focus(page);
  expect(now, 'something has the keyboard').not.toBeNull();
  expect(now!.focusVisible, `${now!.role} matches :focus-visible`).toBe(true);
  expect(now!.ring, `${now!.role} shows a focus ring`).toBe(true);
}

test('every bound shortcut acts as specified on 100,000 messages, with the focus always visible', async () => {
  const { page, errors } = await openFixture(browser, 'big');
  const pane = page.getByRole('region', { name: 'Messages' });
  const list = pane.getByRole('listbox', { name: 'Messages' });
  await list.locator('[aria-posinset="1"] .row').waitFor();
  const reader = page.getByRole('region', { name: 'Reader' });
  await settled(page);
  // Ctrl+, : the settings. Messages stay unread when opened here, so that no flag change moves the list while
  // the keys below are pressed (see the note on MessageList.refresh in the contract).
  await page.keyboard.press('Control+,');
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('combobox', { name: 'Mark messages read' }).selectOption({ label: 'Never' });
  await expect
    .poll(() => page.evaluate(() => (window as unknown as FakeWindow).ternFake.getSettings().then((s) => s.markRead.kind)))
    .toBe('never');
  await page.keyboard.press('Escape');
  await settings.waitFor({ state: 'hidden' });
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  expect(await focus(page)).toBeNull();

  // j / k and the arrows, from anywhere: the next or previous row, shown in the reader.
  await page.keyboard.press('j');
  await expectSelected(list, [1]);
  await showsRow(reader, await rowAt(page, 0));
  await page.keyboard.press('j');
  await expectSelected(list, [2]);
  await page.keyboard.press('ArrowDown');
  await expectSelected(list, [3]);
  await page.keyboard.press('k');
  await expectSelected(list, [2]);
  await page.keyboard.press('ArrowUp');
  await expectSelected(list, [1]);
  await showsRow(reader, await rowAt(page, 0));

  // Enter / o: the keyboard moves to the reader, visibly.
  await page.keyboard.press('o');
  await expect.poll(() => reader.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  await expectVisibleFocus(page);
  // j from the reader reads on: the next row, and the keyboard stays in the reader.
  await page.keyboard.press('j');
  await expectSelected(list, [2]);
  await showsRow(reader, await rowAt(page, 1));
  await expect.poll(() => reader.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  await expectVisibleFocus(page);

  // Esc: back to the list.
  await page.keyboard.press('Escape');
  await expect.poll(() => list.evaluate((el) => el === document.activeElement)).toBe(true);
  await expectVisibleFocus(page);
  await page.keyboard.press('Enter');
  await expect.poll(() => reader.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect.poll(() => list.evaluate((el) => el === document.activeElement)).toBe(true);

  // Esc with several rows selected: back to the row under the cursor.
  await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+ArrowDown');
  await expectSelected(list, [2, 3, 4]);
  await page.getByRole('region', { name: 'Selection' }).getByRole('heading', { name: /^3 conversations selected$/ }).waitFor();
  await page.keyboard.press('Escape');
  await expectSelected(list, [4]);
  await reader.waitFor();

  // u: read / unread; s: star / unstar: stored (the fake's row) and shown (the row's text), each time.
  const before = await rowAt(page, 3);
  const option = list.locator('[aria-posinset="4"]');
  const shows = async (seen: boolean, flagged: boolean) => {
    await expect.poll(async () => (await rowAt(page, 3)).seen).toBe(seen);
    await expect.poll(async () => (await rowAt(page, 3)).flagged).toBe(flagged);
    await expect.poll(async () => (await option.textContent())?.includes('Unread,')).toBe(!seen);
    await expect.poll(async () => (await option.textContent())?.includes(', flagged')).toBe(flagged);
  };
  await page.keyboard.press('u');
  await shows(!before.seen, before.flagged);
  await page.keyboard.press('u');
  await shows(before.seen, before.flagged);
  await page.keyboard.press('s');
  await shows(before.seen, !before.flagged);
  await page.keyboard.press('s');
  await shows(before.seen, before.flagged);

  // /: the filter, where keys are typed, not obeyed.
  const filter = pane.getByRole('searchbox', { name: 'Filter messages' });
  await page.keyboard.press('/');
  await expect.poll(() => filter.evaluate((el) => el === document.activeElement)).toBe(true);
  await expectVisibleFocus(page);
  await page.keyboard.type('ju');
  expect(await filter.inputValue()).toBe('ju');
  await expectSelected(list, [4]);
  await page.keyboard.press('Escape');
  expect(await filter.inputValue()).toBe('');
  // The whole list is back before the keyboard goes to it.
  await list.locator('[aria-posinset="4"] .row').waitFor();
  await page.keyboard.press('Escape');
  await expect.poll(() => list.evaluate((el) => el === document.activeElement)).toBe(true);

  // ?: every shortcut; Tab stays inside; Esc closes and the keyboard goes back.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await help.waitFor();
  for (const text of ['Next message', 'Previous message', 'Go to the inbox', 'Mark as read or unread', 'Star or unstar'])
    await help.getByText(text).waitFor();
  await expectVisibleFocus(page);
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    expect(await help.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  }
  await page.screenshot({ path: `${RESULTS_DIR}/keyboard-shortcuts.png` });
  // The list does not move behind the dialog.
  await page.keyboard.press('j');
  await expectSelected(list, [4]);
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'hidden' });
  await expect.poll(() => list.evaluate((el) => el === document.activeElement)).toBe(true);
  await expectVisibleFocus(page);

  // Ctrl+A in the list: every row of the folder.
  await page.keyboard.press('Control+a');
  await expect
    .poll(() => list.evaluate((el) => el.querySelectorAll('[role="option"][aria-selected="false"]').length))
    .toBe(0);
  const summary = page.getByRole('region', { name: 'Selection' });
  await summary.getByRole('heading', { name: /conversations selected$/ }).waitFor();
  await page.keyboard.press('Escape');
  await reader.waitFor();

  // g then i: from another folder back to the inbox.
  const nav = page.getByRole('navigation', { name: 'Folders' });
  await nav.getByRole('treeitem', { name: 'Sent' }).click();
  await pane.getByRole('heading', { name: 'Sent' }).waitFor();
  await page.keyboard.press('g');
  await page.keyboard.press('i');
  await nav.getByRole('treeitem', { name: 'Inbox', selected: true }).waitFor();
  await pane.getByRole('heading', { name: 'Inbox' }).waitFor();

  // Ctrl+, again, from the list.
  await page.keyboard.press('Control+,');
  await settings.getByRole('heading', { name: 'Appearance' }).waitFor();
  await page.keyboard.press('Escape');
  await settings.waitFor({ state: 'hidden' });

  expect(errors).toEqual([]);
  await page.close();
});

test('Tab reaches the panes and the splitters, each with a visible focus ring', async () => {
  const { page, errors } = await openFixture(browser, 'big');
  const list = page.getByRole('listbox', { name: 'Messages' });
  await list.locator('[aria-posinset="1"] .row').waitFor();
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const now = await focus(page);
    if (!now) continue;
    expect(now.ring, `${now.role} ${now.label ?? ''} shows a focus ring`).toBe(true);
    seen.add(`${now.role}:${now.label ?? ''}`);
  }
  for (const stop of [
    'separator:Resize the folder list',
    'separator:Resize the message list',
    'listbox:Messages',
    'treeitem:',
    'input:Filter messages',
  ])
    expect([...seen]).toContain(stop);
  expect(errors).toEqual([]);
  await page.close();
});
