import { describe, expect, it } from 'vitest';
import type { ListQuery } from '../../ipc/backend';
import { BIG_INBOX, createFakeBackend } from '../../ipc/fake';
import { KEPT_PAGES, MessageWindow, PAGE_SIZE } from './window.svelte';

const query: ListQuery = {
  source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
  sort: 'date',
  descending: true,
  filter: '',
  conversations: false,
};

/** A window on the fake 100,000-message inbox, its first page read. */
async function bigWindow() {
  const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
  const window = new MessageWindow(backend, query);
  await window.load();
  expect(window.total).toBe(BIG_INBOX);
  return { backend, window };
}

const loaded = (window: MessageWindow) => [...window.pages.keys()].sort((a, b) => a - b);
/** Rows on screen at a time in the message list. */
const SCREEN = 30;

describe('message window', () => {
  it('keeps only the pages near the rows in view while scrolling through a whole folder', async () => {
    const { window } = await bigWindow();
    let most = 0;
    for (let first = 0; first < BIG_INBOX; first += 97) {
      await window.ensure(first, Math.min(BIG_INBOX - 1, first + SCREEN));
      most = Math.max(most, window.pages.size);
    }
    // The pages in view and one ahead, KEPT_PAGES on each side, and the first page.
    expect(most).toBeLessThanOrEqual(2 * KEPT_PAGES + 4);
    const last = Math.floor((BIG_INBOX - 1) / PAGE_SIZE);
    expect(loaded(window)).toEqual([0, ...Array.from({ length: KEPT_PAGES + 1 }, (_, i) => last - KEPT_PAGES + i)]);
    // Every row in view has its data.
    for (let i = BIG_INBOX - SCREEN; i < BIG_INBOX; i++) expect(window.row(i)).toBeDefined();
  });

  it('reads a dropped page again when it comes back into view', async () => {
    const { backend, window } = await bigWindow();
    await window.ensure(10_000, 10_000 + SCREEN);
    const before = window.row(10_000);
    await window.ensure(90_000, 90_000 + SCREEN);
    expect(window.row(10_000)).toBeUndefined();
    backend.calls.length = 0;
    await window.ensure(10_000, 10_000 + SCREEN);
    expect(window.row(10_000)).toEqual(before);
    const offsets = backend.calls.filter((c) => c.method === 'listRows').map((c) => c.args[1]);
    expect(offsets).toContain(Math.floor(10_000 / PAGE_SIZE) * PAGE_SIZE);
  });

  it('keeps the pages its owner asks for, and the first page, wherever the list scrolls', async () => {
    const { window } = await bigWindow();
    await window.ensure(42_000, 42_000 + SCREEN);
    const chosen = window.row(42_010)!;
    window.keep = (rows) => rows.some((r) => r.uid === chosen.uid);
    await window.ensure(80_000, 80_000 + SCREEN);
    await window.ensure(5_000, 5_000 + SCREEN);
    expect(window.row(42_010)).toEqual(chosen);
    expect(window.row(0)).toBeDefined();
    expect(window.row(42_000 + PAGE_SIZE + 1)).toBeUndefined();
    // A range read far from view (a shift+click selection) stays readable until the owner drops it.
    const rows = await window.range(60_000, 60_000 + 2 * PAGE_SIZE);
    expect(rows).toHaveLength(2 * PAGE_SIZE + 1);
  });
});
