import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { MessagePage, MessageRow } from '../../ipc/backend';
import { BIG_INBOX, createFakeBackend, DEMO_NEW_MESSAGES, typicalFolders, type FakeBackend } from '../../ipc/fake';
import { SyncCenter } from '../sync/sync.svelte';
import MessageList from './MessageList.svelte';
import { PAGE_SIZE } from './window.svelte';

const ROW_HEIGHT = 58;
const folder = (path: string) => typicalFolders().find((f) => f.path === path)!;

function setup(backend: FakeBackend, path = 'INBOX') {
  const sync = new SyncCenter(backend);
  const onselectmessage = vi.fn<(row: MessageRow | null) => void>();
  const result = render(MessageList, {
    props: { backend, sync, accountId: 'demo', folder: folder(path), accountName: 'Ada Lovelace', onselectmessage },
  });
  return { sync, onselectmessage, result };
}

const options = (list: HTMLElement) => [...list.querySelectorAll<HTMLElement>('[role="option"]')];
const listCalls = (backend: FakeBackend) =>
  backend.calls.filter((c) => c.method === 'listMessages').map((c) => ({ offset: c.args[2], limit: c.args[3] }));
const selected = (list: HTMLElement) => list.querySelector<HTMLElement>('[role="option"][aria-selected="true"]');

async function scrollTo(list: HTMLElement, top: number) {
  list.scrollTop = top;
  await fireEvent.scroll(list);
}

describe('message list', () => {
  it('keeps only a window of a 100,000-message folder in the DOM and fetches only the pages it shows', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    expect(screen.getByText(/^100,000 messages, [\d,]+ unread$/)).toBeInTheDocument();
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    expect(options(list).length).toBeLessThan(100);
    expect(options(list)[0]).toHaveAttribute('aria-setsize', String(BIG_INBOX));
    expect(options(list)[0]).toHaveAttribute('aria-posinset', '1');
    await waitFor(() => expect(listCalls(backend)).toContainEqual({ offset: PAGE_SIZE, limit: PAGE_SIZE }));
    // The first page, and one ahead.
    expect(new Set(listCalls(backend).map((c) => c.offset))).toEqual(new Set([0, PAGE_SIZE]));

    // Jump to the middle: the pages there (and one ahead) are fetched, nothing in between.
    backend.calls.length = 0;
    await scrollTo(list, 50_000 * ROW_HEIGHT);
    await waitFor(() => expect(list.querySelector('[aria-posinset="50001"]')).not.toBeNull());
    await waitFor(() => expect(list.querySelector('[aria-posinset="50001"] .row:not(.placeholder)')).not.toBeNull());
    const offsets = listCalls(backend).map((c) => c.offset as number);
    expect(offsets.length).toBeGreaterThan(0);
    expect(offsets.length).toBeLessThanOrEqual(3);
    for (const offset of offsets) expect(offset).toBeGreaterThanOrEqual(49_800);
    for (const offset of offsets) expect(offset).toBeLessThanOrEqual(50_200);
    expect(listCalls(backend).every((c) => c.limit === PAGE_SIZE)).toBe(true);
    expect(options(list).length).toBeLessThan(100);

    // The very end.
    await scrollTo(list, BIG_INBOX * ROW_HEIGHT);
    await waitFor(() => expect(list.querySelector(`[aria-posinset="${BIG_INBOX}"]`)).not.toBeNull());
    expect(options(list).length).toBeLessThan(100);
    expect(Math.max(...listCalls(backend).map((c) => c.offset as number))).toBe(BIG_INBOX - PAGE_SIZE);
  });

  it('moves the selection with the arrow keys, j/k, Home and End, and reports it to the reader', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { onselectmessage } = setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    list.focus();
    expect(list).not.toHaveAttribute('aria-activedescendant');

    await fireEvent.keyDown(list, { key: 'j' });
    expect(selected(list)).toHaveAttribute('aria-posinset', '1');
    await fireEvent.keyDown(list, { key: 'j' });
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect(selected(list)).toHaveAttribute('aria-posinset', '3');
    expect(list).toHaveAttribute('aria-activedescendant', selected(list)!.id);
    await fireEvent.keyDown(list, { key: 'k' });
    expect(selected(list)).toHaveAttribute('aria-posinset', '2');
    const second = (await backend.listMessages('demo', 'INBOX', 1, 1)).rows[0]!;
    await waitFor(() => expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: second.uid })));

    await fireEvent.keyDown(list, { key: 'End' });
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', String(BIG_INBOX)));
    await waitFor(() => expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: 1 })));
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect(selected(list)).toHaveAttribute('aria-posinset', String(BIG_INBOX));
    await fireEvent.keyDown(list, { key: 'Home' });
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', '1'));

    await fireEvent.click(within(options(list)[2]!).getByText(/\w/, { selector: '.subject' }));
    expect(selected(list)).toHaveAttribute('aria-posinset', '3');
  });

  it('shows sender, subject, unread and flag marks from the rows', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    const page = await backend.listMessages('demo', 'INBOX', 0, 10);
    await waitFor(() => expect(options(list).length).toBeGreaterThanOrEqual(10));
    page.rows.forEach((row, i) => {
      const option = options(list)[i]!;
      const name = row.from[0]!.name ?? row.from[0]!.email;
      expect(option).toHaveTextContent(name);
      expect(option).toHaveTextContent(row.subject);
      expect(option.querySelector('.row')!.classList.contains('unread')).toBe(!row.seen);
      expect(option.textContent!.includes('flagged')).toBe(row.flagged);
      expect(option.textContent!.includes('has attachments')).toBe(row.hasAttachment);
    });
  });

  it('shows the first words of each message after its subject, when the engine has them', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = setup(backend);
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    const page = await backend.listMessages('demo', 'INBOX', 0, 10);
    await waitFor(() => expect(options(list).length).toBeGreaterThanOrEqual(10));
    expect(page.rows.some((r) => r.snippet)).toBe(true);
    page.rows.forEach((row, i) => {
      const option = options(list)[i]!;
      const snippet = option.querySelector('.snippet');
      // On the subject's line, after it, in the muted style that line is cut with an ellipsis.
      expect(option.querySelector('.subject')!.textContent).toBe(row.subject);
      if (row.snippet) {
        expect(snippet).not.toBeNull();
        expect(snippet!.textContent).toContain(row.snippet);
        expect(snippet!.previousElementSibling).toBe(option.querySelector('.subject'));
        expect(option).toHaveTextContent(`${row.subject}, ${row.snippet}`);
      } else {
        expect(snippet).toBeNull();
      }
    });

    // Text not downloaded yet (null), or none: the subject alone.
    await backend.deliver('demo', 'INBOX', { subject: 'Nothing downloaded yet', snippet: null });
    await waitFor(() => expect(options(list)[0]).toHaveTextContent('Nothing downloaded yet'));
    expect(options(list)[0]!.querySelector('.snippet')).toBeNull();
    await backend.deliver('demo', 'INBOX', { subject: 'Just a title', snippet: '  ' });
    await waitFor(() => expect(options(list)[0]).toHaveTextContent('Just a title'));
    expect(options(list)[0]!.querySelector('.snippet')).toBeNull();
    await backend.deliver('demo', 'INBOX', { subject: 'Lunch', snippet: 'Are we still on for Friday?' });
    await waitFor(() => expect(options(list)[0]).toHaveTextContent('Lunch, Are we still on for Friday?'));
  });

  it('re-reads the window after a sync and keeps the selected message selected', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    list.focus();
    await fireEvent.keyDown(list, { key: 'j' });
    const uid = (await backend.listMessages('demo', 'INBOX', 0, 1)).rows[0]!.uid;
    expect(screen.getByText('2,397 messages', { exact: false })).toBeInTheDocument();

    await sync.syncFolder('demo', 'INBOX');
    await waitFor(() => expect(screen.getByText('2,400 messages', { exact: false })).toBeInTheDocument());
    // Three new messages arrived on top; the selection followed its message.
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', String(DEMO_NEW_MESSAGES + 1)));
    expect((await backend.listMessages('demo', 'INBOX', DEMO_NEW_MESSAGES, 1)).rows[0]!.uid).toBe(uid);
  });

  it('has a Sync now button that syncs the open folder', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    setup(backend, 'Archive');
    await fireEvent.click(await screen.findByRole('button', { name: 'Sync now' }));
    await waitFor(() =>
      expect(backend.calls).toContainEqual({ method: 'syncFolder', args: ['demo', 'Archive'] }),
    );
  });

  it('says so when a folder is empty', async () => {
    setup(createFakeBackend({ latencyMs: 0, fixture: 'demo' }), 'Entwürfe');
    expect(await screen.findByText('No messages in Entwürfe')).toBeInTheDocument();
    expect(screen.getByText('0 messages, 0 unread')).toBeInTheDocument();
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('shows the download progress while the first sync of a folder runs and nothing is cached', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const empty: MessagePage = { total: 0, unread: 0, offset: 0, rows: [] };
    backend.listMessages = async () => empty;
    backend.syncAccount = () => new Promise(() => {});
    const { sync } = setup(backend);
    await sync.listen();
    void sync.syncAccount('demo');
    expect(await screen.findByText('Downloading messages…')).toBeInTheDocument();
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 50, total: 2_400 });
    expect(await screen.findByText('50 of 2,400 messages in Inbox are on this computer.')).toBeInTheDocument();
  });

  it('shows new mail from the engine on top by itself, keeping the selected message selected', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { sync, onselectmessage } = setup(backend);
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    list.focus();
    await fireEvent.keyDown(list, { key: 'j' });
    await fireEvent.keyDown(list, { key: 'j' });
    const second = (await backend.listMessages('demo', 'INBOX', 1, 1)).rows[0]!;
    await waitFor(() => expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: second.uid })));
    backend.calls.length = 0;

    const delivered = await backend.deliver('demo', 'INBOX', {
      subject: 'The launch is go',
      from: [{ name: 'Katherine Johnson', email: 'kjohnson@langley.example' }],
    });
    expect(delivered.uid).toBe(BIG_INBOX + 1);
    await waitFor(() => expect(options(list)[0]).toHaveTextContent('The launch is go'));
    expect(options(list)[0]).toHaveTextContent('Katherine Johnson');
    expect(options(list)[0]!.querySelector('.row')).toHaveClass('unread');
    expect(screen.getByText(/^100,001 messages, [\d,]+ unread$/)).toBeInTheDocument();
    // The selection followed its message one place down.
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', '3'));
    expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: second.uid }));
    expect(list).toHaveAttribute('aria-activedescendant', selected(list)!.id);
    // Only the visible window was read again, never the whole folder.
    const offsets = listCalls(backend).map((c) => c.offset as number);
    expect(offsets.length).toBeGreaterThan(0);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(PAGE_SIZE);
    expect(listCalls(backend).every((c) => c.limit === PAGE_SIZE)).toBe(true);
  });

  it('keeps the rows on screen where they are when new mail arrives above them', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { sync } = setup(backend);
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const top = 1_000 * ROW_HEIGHT + 20;
    await scrollTo(list, top);
    await waitFor(() => expect(list.querySelector('[aria-posinset="1001"] .row:not(.placeholder)')).not.toBeNull());
    const subject = list.querySelector('[aria-posinset="1001"] .subject')!.textContent;
    const uid = (await backend.listMessages('demo', 'INBOX', 1_000, 1)).rows[0]!.uid;

    await backend.deliver('demo', 'INBOX', { subject: 'Above the fold' });
    await waitFor(() => expect(screen.getByText(/^100,001 messages/)).toBeInTheDocument());
    // Scrolled by exactly one row: the same message is at the top of the viewport.
    await waitFor(() => expect(list.scrollTop).toBe(top + ROW_HEIGHT));
    expect((await backend.listMessages('demo', 'INBOX', 1_001, 1)).rows[0]!.uid).toBe(uid);
    await waitFor(() => expect(list.querySelector('[aria-posinset="1002"] .subject')?.textContent).toBe(subject));
  });

  it('ignores changes in other folders', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = setup(backend, 'Archive');
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    backend.calls.length = 0;
    await backend.deliver('demo', 'Trash', { subject: 'Elsewhere' });
    await waitFor(() => expect(sync.revision('demo', 'Trash')).toBe(1));
    expect(listCalls(backend)).toEqual([]);
    await backend.deliver('demo', 'Archive', { subject: 'Here' });
    await waitFor(() => expect(options(list)[0]).toHaveTextContent('Here'));
  });
});
