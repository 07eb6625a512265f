import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ComponentProps } from 'svelte';
import type { ListQuery, MessagePage, MessageRow } from '../../ipc/backend';
import {
  BIG_INBOX,
  createFakeBackend,
  DEMO_ACCOUNT,
  DEMO_NEW_MESSAGES,
  typicalFolders,
  WORK_ACCOUNT,
  type FakeBackend,
} from '../../ipc/fake';
import { SyncCenter } from '../sync/sync.svelte';
import MessageList from './MessageList.svelte';
import { FIRST_ROWS_MARK, PAGE_SIZE } from './window.svelte';

const ROW_HEIGHT = 58;
const folder = (path: string) => typicalFolders().find((f) => f.path === path)!;

type Props = ComponentProps<typeof MessageList>;

function setup(backend: FakeBackend, path = 'INBOX', overrides: Partial<Props> = {}) {
  const sync = new SyncCenter(backend);
  const onselectmessage = vi.fn<(row: MessageRow | null) => void>();
  const onselectionchange = vi.fn<(rows: MessageRow[], count: number) => void>();
  const props: Props = {
    backend,
    sync,
    source: { kind: 'folder', accountId: 'demo', path },
    folder: folder(path),
    title: folder(path).name,
    subtitle: 'Ada Lovelace',
    accounts: [DEMO_ACCOUNT],
    conversations: false,
    density: 'comfortable',
    onselectmessage,
    onselectionchange,
    ...overrides,
  };
  const result = render(MessageList, { props });
  return { sync, onselectmessage, onselectionchange, result, component: result.component as unknown as ListApi };
}

/** The methods the shell calls on the list. */
interface ListApi {
  next(): void;
  previous(): void;
  open(): void;
  clear(): void;
  toggleRead(): Promise<void>;
  toggleFlag(): Promise<void>;
  selectAll(): void;
  focusFilter(): void;
  focusList(): void;
}

/** A window of a folder as single messages, newest first. */
const messages = (
  backend: FakeBackend,
  path: string,
  offset: number,
  limit: number,
  overrides: Partial<ListQuery> = {},
) =>
  backend.listRows(
    {
      source: { kind: 'folder', accountId: 'demo', path },
      sort: 'date',
      descending: true,
      filter: '',
      conversations: false,
      ...overrides,
    },
    offset,
    limit,
  );

/** Holds the backend's list reads until `release()`; `asked` counts the reads asked for meanwhile. */
function holdReads(backend: FakeBackend): { asked: number; release: () => void } {
  const read = backend.listRows.bind(backend);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const reads = { asked: 0, release: () => release() };
  backend.listRows = async (...args: Parameters<typeof read>) => {
    reads.asked++;
    await held;
    return read(...args);
  };
  return reads;
}

const options = (list: HTMLElement) => [...list.querySelectorAll<HTMLElement>('[role="option"]')];
const listCalls = (backend: FakeBackend) =>
  backend.calls.filter((c) => c.method === 'listRows').map((c) => ({ offset: c.args[1], limit: c.args[2] }));
const selected = (list: HTMLElement) => list.querySelector<HTMLElement>('[role="option"][aria-selected="true"]');
const allSelected = (list: HTMLElement) => [
  ...list.querySelectorAll<HTMLElement>('[role="option"][aria-selected="true"]'),
];

async function scrollTo(list: HTMLElement, top: number) {
  list.scrollTop = top;
  await fireEvent.scroll(list);
}

/** A row's place in the list, from 1. */
const posinset = (o: HTMLElement) => Number(o.getAttribute('aria-posinset'));

/** The list of the 100,000-message inbox, once its first screen of rows is drawn. */
async function bigListDrawn(): Promise<HTMLElement> {
  setup(createFakeBackend({ latencyMs: 0, fixture: 'big' }));
  const list = await screen.findByRole('listbox', { name: 'Messages' });
  await waitFor(() => expect(options(list).length).toBeGreaterThan(15));
  return list;
}

describe('message list', () => {
  it('draws the rows in view in order and reuses a row’s elements for the row scrolling in', async () => {
    const list = await bigListDrawn();
    await scrollTo(list, 1000 * ROW_HEIGHT);
    await waitFor(() => expect(list.querySelector('[aria-posinset="1001"] .row:not(.placeholder)')).not.toBeNull());
    const before = options(list);
    const drawn = before.map(posinset);
    // In order, one after the other, each where its index puts it.
    expect(drawn).toEqual(drawn.map((_, i) => drawn[0]! + i));
    for (const o of before) expect(o.style.top).toBe(`${(posinset(o) - 1) * ROW_HEIGHT}px`);

    await scrollTo(list, 1001 * ROW_HEIGHT);
    await waitFor(() => expect(options(list)[0]).toHaveAttribute('aria-posinset', String(drawn[0]! + 1)));
    const after = options(list);
    expect(after.map(posinset)).toEqual(drawn.map((p) => p + 1));
    // The rows still in range kept their elements; the row that left lent its element to the row
    // that came in, now last.
    const last = after[after.length - 1]!;
    expect(after.slice(0, -1)).toEqual(before.slice(1));
    expect(last).toBe(before[0]);
    await waitFor(() => expect(last.querySelector('.row:not(.placeholder)')).not.toBeNull());
  });

  it('draws the last screenful when scrolled past the end, as when the list shrinks under a scroll position not clamped yet', async () => {
    const list = await bigListDrawn();
    await scrollTo(list, (BIG_INBOX + 1000) * ROW_HEIGHT);
    await waitFor(() => expect(list.querySelector(`[aria-posinset="${BIG_INBOX}"] .row:not(.placeholder)`)).not.toBeNull());
    const drawn = options(list).map(posinset);
    // The rows of the last screenful and the ones drawn ahead above it.
    expect(drawn.length).toBeGreaterThan(10);
    expect(drawn).toEqual(drawn.map((_, i) => BIG_INBOX - drawn.length + 1 + i));
  });

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
    const second = (await messages(backend, 'INBOX', 1, 1)).rows[0]!;
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
    const page = await messages(backend, 'INBOX', 0, 10);
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
    const page = await messages(backend, 'INBOX', 0, 10);
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
    const uid = (await messages(backend, 'INBOX', 0, 1)).rows[0]!.uid;
    expect(screen.getByText('2,397 messages', { exact: false })).toBeInTheDocument();

    await sync.syncFolder('demo', 'INBOX');
    await waitFor(() => expect(screen.getByText('2,400 messages', { exact: false })).toBeInTheDocument());
    // Three new messages arrived on top; the selection followed its message.
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', String(DEMO_NEW_MESSAGES + 1)));
    expect((await messages(backend, 'INBOX', DEMO_NEW_MESSAGES, 1)).rows[0]!.uid).toBe(uid);
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
    backend.listRows = async () => empty;
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
    const second = (await messages(backend, 'INBOX', 1, 1)).rows[0]!;
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

  it('reads the rows once more after a burst of changes that arrive while it is reading, not once per change', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { sync } = setup(backend);
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));

    // The list's reads wait until released while ten messages arrive one after another.
    const reads = holdReads(backend);
    for (let i = 1; i <= 10; i++) {
      await backend.deliver('demo', 'INBOX', { subject: `Burst ${i}` });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // One refresh is reading; the other nine changes wait for it.
    const reading = reads.asked;
    expect(reading).toBeGreaterThan(0);
    reads.release();

    await waitFor(() => expect(options(list)[0]).toHaveTextContent('Burst 10'));
    expect(screen.getByText(/^100,010 messages, [\d,]+ unread$/)).toBeInTheDocument();
    // The refresh that was reading, and one more for everything that arrived meanwhile.
    expect(reads.asked).toBe(2 * reading);
  });

  it('keeps the row the user moved to while new mail was being read, not the one before', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { sync, onselectmessage } = setup(backend);
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    await fireEvent.click(options(list)[0]!);
    const second = (await messages(backend, 'INBOX', 1, 1)).rows[0]!;

    // The list's reads wait until released: new mail arrives, and j is pressed meanwhile.
    const reads = holdReads(backend);
    await backend.deliver('demo', 'INBOX', { subject: 'Arrived while moving' });
    await waitFor(() => expect(reads.asked).toBeGreaterThan(0));
    list.focus();
    await fireEvent.keyDown(list, { key: 'j' });
    await waitFor(() => expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: second.uid })));
    reads.release();

    await waitFor(() => expect(options(list)[0]).toHaveTextContent('Arrived while moving'));
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', '3'));
    expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: second.uid }));
  });

  it('stars and unstars at once on two quick presses of s, before the server has answered', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { component, sync } = setup(backend);
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const rows = (await messages(backend, 'INBOX', 0, 20)).rows;
    const index = rows.findIndex((r) => !r.flagged);
    await fireEvent.click(options(list)[index]!);

    const write = backend.setFlags.bind(backend);
    const asked: (boolean | null)[] = [];
    backend.setFlags = async (...args: Parameters<typeof write>) => {
      asked.push(args[3].flagged);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return write(...args);
    };
    const first = component.toggleFlag();
    // The star shows while the server is still answering (it takes 50 ms here).
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(options(list)[index]).toHaveTextContent('flagged');
    await Promise.all([first, component.toggleFlag()]);
    expect(asked).toEqual([true, false]);
    expect((await messages(backend, 'INBOX', index, 1)).rows[0]!.flagged).toBe(false);
    await waitFor(() => expect(options(list)[index]).not.toHaveTextContent('flagged'));
  });

  it('marks when it first paints rows, once, for the cold-start benchmark', async () => {
    performance.clearMarks(FIRST_ROWS_MARK);
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { result } = setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    await waitFor(() => expect(performance.getEntriesByName(FIRST_ROWS_MARK)).toHaveLength(1));
    const sent = (await messages(backend, 'Sent', 0, 1)).rows[0]!;
    await result.rerender({
      source: { kind: 'folder', accountId: 'demo', path: 'Sent' },
      folder: folder('Sent'),
      title: 'Sent',
    });
    await waitFor(() =>
      expect(options(screen.getByRole('listbox', { name: 'Messages' }))[0]).toHaveTextContent(sent.subject),
    );
    await new Promise((resolve) => requestAnimationFrame(resolve));
    expect(performance.getEntriesByName(FIRST_ROWS_MARK)).toHaveLength(1);
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
    const uid = (await messages(backend, 'INBOX', 1_000, 1)).rows[0]!.uid;

    await backend.deliver('demo', 'INBOX', { subject: 'Above the fold' });
    await waitFor(() => expect(screen.getByText(/^100,001 messages/)).toBeInTheDocument());
    // Scrolled by exactly one row: the same message is at the top of the viewport.
    await waitFor(() => expect(list.scrollTop).toBe(top + ROW_HEIGHT));
    expect((await messages(backend, 'INBOX', 1_001, 1)).rows[0]!.uid).toBe(uid);
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

  it('follows the account’s Sent folder in a conversation list, whatever its name', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const folders = typicalFolders().map((f) =>
      f.role === 'sent' ? { ...f, path: 'Sent Items', name: 'Sent Items' } : f,
    );
    const read = vi.fn(async () => folders);
    backend.cachedFolders = read;
    const { sync, result } = setup(backend, 'INBOX', { conversations: true });
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const changed = (path: string) =>
      backend.emitMailEvents([
        { kind: 'mailboxChanged', accountId: 'demo', path, added: [], changed: [1], removed: [], more: false },
      ]);
    await waitFor(() => expect(read).toHaveBeenCalledWith('demo'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A reply saved in Sent Items changes the conversations of the Inbox.
    backend.calls.length = 0;
    changed('Sent Items');
    await waitFor(() => expect(listCalls(backend).length).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    backend.calls.length = 0;
    changed('Archive');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listCalls(backend)).toEqual([]);
    // As single messages, the Inbox alone.
    await result.rerender({ conversations: false });
    await waitFor(() => expect(screen.getByText(/^[\d,]+ messages,/)).toBeInTheDocument());
    backend.calls.length = 0;
    changed('Sent Items');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listCalls(backend)).toEqual([]);
  });

  it('selects several rows with shift and ctrl/cmd, shift+arrows and select-all', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { onselectmessage, onselectionchange, component } = setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    expect(list).toHaveAttribute('aria-multiselectable', 'true');
    await waitFor(() => expect(options(list).length).toBeGreaterThan(8));
    const posinsets = () => allSelected(list).map((o) => Number(o.getAttribute('aria-posinset')));

    await fireEvent.click(options(list)[1]!);
    expect(posinsets()).toEqual([2]);
    await waitFor(() =>
      expect(onselectmessage).toHaveBeenLastCalledWith(expect.objectContaining({ uid: BIG_INBOX - 1 })),
    );
    await fireEvent.click(options(list)[4]!, { shiftKey: true });
    await waitFor(() => expect(posinsets()).toEqual([2, 3, 4, 5]));
    expect(onselectmessage).toHaveBeenLastCalledWith(null);
    expect(onselectionchange.mock.lastCall![0].map((r) => r.uid)).toEqual([
      BIG_INBOX - 1,
      BIG_INBOX - 2,
      BIG_INBOX - 3,
      BIG_INBOX - 4,
    ]);
    expect(onselectionchange.mock.lastCall![1]).toBe(4);
    await fireEvent.click(options(list)[2]!, { ctrlKey: true });
    expect(posinsets()).toEqual([2, 4, 5]);
    await fireEvent.click(options(list)[7]!, { metaKey: true });
    expect(posinsets()).toEqual([2, 4, 5, 8]);

    // Shift+arrows extend from the last row clicked.
    list.focus();
    await fireEvent.keyDown(list, { key: 'ArrowDown', shiftKey: true });
    await waitFor(() => expect(posinsets()).toEqual([8, 9]));
    await fireEvent.keyDown(list, { key: 'ArrowUp', shiftKey: true });
    await fireEvent.keyDown(list, { key: 'ArrowUp', shiftKey: true });
    await waitFor(() => expect(posinsets()).toEqual([7, 8]));
    expect(list).toHaveAttribute('aria-activedescendant', options(list)[6]!.id);

    // Esc (clear) goes back to the cursor row alone.
    component.clear();
    await waitFor(() => expect(posinsets()).toEqual([7]));

    // Select all: every row of the folder, loaded or not.
    await fireEvent.keyDown(list, { key: 'a', ctrlKey: true });
    await waitFor(() => expect(options(list).every((o) => o.getAttribute('aria-selected') === 'true')).toBe(true));
    expect(onselectmessage).toHaveBeenLastCalledWith(null);
    // The shell hears how many rows that is, loaded or not.
    expect(onselectionchange.mock.lastCall![1]).toBe(BIG_INBOX);
    await fireEvent.click(options(list)[0]!);
    expect(posinsets()).toEqual([1]);
    await fireEvent.click(screen.getByRole('button', { name: 'Select all' }));
    await waitFor(() => expect(posinsets().length).toBe(options(list).length));
  });

  it('drops the rows it scrolled past but keeps the selected ones, which starring still reaches', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'big' });
    const { component } = setup(backend);
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(8));
    await fireEvent.click(options(list)[2]!);
    await fireEvent.click(options(list)[5]!, { ctrlKey: true });
    const chosen = (await messages(backend, 'INBOX', 0, 6)).rows.filter((_, i) => i === 2 || i === 5);
    expect(chosen.every((r) => !r.flagged)).toBe(true);

    // Scroll through a third of the folder, a screen at a time: only the pages near the view stay.
    backend.calls.length = 0;
    for (let row = 0; row < 30_000; row += 1_000) {
      await scrollTo(list, row * ROW_HEIGHT);
      await waitFor(() => expect(list.querySelector(`[aria-posinset="${row + 1}"] .row:not(.placeholder)`)).not.toBeNull());
    }
    const read = new Set(listCalls(backend).map((c) => c.offset as number));
    expect(read.size).toBeGreaterThan(25);

    // Back to the top: the pages in between were dropped and are read again.
    backend.calls.length = 0;
    await scrollTo(list, 10_000 * ROW_HEIGHT);
    await waitFor(() => expect(list.querySelector('[aria-posinset="10001"] .row:not(.placeholder)')).not.toBeNull());
    expect(listCalls(backend).map((c) => c.offset)).toContain(10_000);

    // The selection was kept all along: s stars both selected messages.
    await component.toggleFlag();
    const after = (await messages(backend, 'INBOX', 0, 6)).rows.filter((_, i) => i === 2 || i === 5);
    expect(after.map((r) => [r.uid, r.flagged])).toEqual(chosen.map((r) => [r.uid, true]));
  });

  it('keeps a multi-selection and the cursor when new mail arrives above them', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = setup(backend, 'Archive');
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(8));
    await fireEvent.click(options(list)[2]!);
    await fireEvent.click(options(list)[4]!, { ctrlKey: true });
    const uids = (await messages(backend, 'Archive', 0, 5)).rows.map((r) => r.uid);

    await backend.deliver('demo', 'Archive', { subject: 'On top' });
    await waitFor(() => expect(options(list)[0]).toHaveTextContent('On top'));
    await waitFor(() => expect(allSelected(list).map((o) => o.getAttribute('aria-posinset'))).toEqual(['4', '6']));
    const after = (await messages(backend, 'Archive', 0, 6)).rows.map((r) => r.uid);
    expect([after[3], after[5]]).toEqual([uids[2], uids[4]]);
    expect(list).toHaveAttribute('aria-activedescendant', options(list)[5]!.id);
  });

  it('narrows the list as the user types in the filter, by sender and subject', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    setup(backend, 'Archive');
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const filter = screen.getByRole('searchbox', { name: 'Filter messages' });
    const expected = (await messages(backend, 'Archive', 0, 1000, { filter: 'grace lunch' })).rows;
    expect(expected.length).toBeGreaterThan(0);

    await fireEvent.input(filter, { target: { value: 'Grace LUNCH' } });
    await waitFor(() => expect(screen.getByText(`${expected.length} messages`, { exact: false })).toBeInTheDocument());
    const listbox = screen.getByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(listbox)[0]).toHaveTextContent(expected[0]!.subject));
    for (const option of options(listbox)) expect(option).toHaveTextContent(/Grace Hopper/);

    await fireEvent.input(filter, { target: { value: 'no-such-thing-at-all' } });
    expect(await screen.findByText('Nothing matches “no-such-thing-at-all”')).toBeInTheDocument();
    // Esc empties the field, and the whole folder is back.
    await fireEvent.keyDown(filter, { key: 'Escape' });
    expect(filter).toHaveValue('');
    await screen.findByText(/^1,250 messages/);
  });

  it('sorts by date, sender, subject and size, either way', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    setup(backend, 'Archive');
    let list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const sortBy = screen.getByRole('combobox', { name: 'Sort by' });
    const labels = within(sortBy)
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(labels).toEqual(['Date', 'Sender', 'Subject', 'Size']);
    const direction = screen.getByRole('button', { name: 'Descending' });
    expect(direction).toHaveAttribute('aria-pressed', 'true');

    const firstSubjects = async (query: Partial<ListQuery>) =>
      (await messages(backend, 'Archive', 0, 3, query)).rows.map((r) => r.subject);
    const shown = () =>
      options(screen.getByRole('listbox', { name: 'Messages' }))
        .slice(0, 3)
        .map((o) => o.querySelector('.subject')?.textContent);

    await fireEvent.change(sortBy, { target: { value: 'sender' } });
    // Names read from A, and the direction follows.
    expect(direction).toHaveAttribute('aria-pressed', 'false');
    await waitFor(async () => expect(shown()).toEqual(await firstSubjects({ sort: 'sender', descending: false })));
    await fireEvent.click(direction);
    await waitFor(async () => expect(shown()).toEqual(await firstSubjects({ sort: 'sender', descending: true })));
    await fireEvent.change(sortBy, { target: { value: 'size' } });
    await waitFor(async () => expect(shown()).toEqual(await firstSubjects({ sort: 'size', descending: true })));
    await fireEvent.change(sortBy, { target: { value: 'subject' } });
    await waitFor(async () => expect(shown()).toEqual(await firstSubjects({ sort: 'subject', descending: false })));
    list = screen.getByRole('listbox', { name: 'Messages' });
    expect(list).toBeInTheDocument();
    const sorts = backend.calls.filter((c) => c.method === 'listRows').map((c) => (c.args[0] as ListQuery).sort);
    expect(sorts).toContain('subject');
  });

  it('shows one row per conversation with its message count, and marks the whole conversation read', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { component, sync } = setup(backend, 'INBOX', { conversations: true });
    await sync.listen();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const rows = (await messages(backend, 'INBOX', 0, 200, { conversations: true })).rows;
    expect(screen.getByText(/^[\d,]+ conversations, [\d,]+ unread$/)).toBeInTheDocument();
    const index = rows.findIndex((r) => r.threadCount >= 2);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThan(20);
    const option = list.querySelector<HTMLElement>(`[aria-posinset="${index + 1}"]`)!;
    expect(within(option).getByText(`${rows[index]!.threadCount} messages`)).toHaveClass('visually-hidden');
    for (const [i, row] of rows.slice(0, 10).entries())
      if (row.threadCount === 1) expect(options(list)[i]!.textContent).not.toMatch(/\d messages/);

    // u on a conversation: every message of it, in the Inbox and in Sent.
    await fireEvent.click(option);
    const members = await backend.conversation('demo', 'INBOX', rows[index]!.uid);
    const seen = !members.every((m) => m.seen);
    await component.toggleRead();
    const after = await backend.conversation('demo', 'INBOX', rows[index]!.uid);
    expect(after.map((m) => m.seen)).toEqual(members.map(() => seen));
    await component.toggleRead();
    expect((await backend.conversation('demo', 'INBOX', rows[index]!.uid)).every((m) => m.seen === !seen)).toBe(true);
    await component.toggleFlag();
    expect((await backend.conversation('demo', 'INBOX', rows[index]!.uid)).every((m) => m.flagged)).toBe(true);
    await waitFor(() => expect(list.querySelector(`[aria-posinset="${index + 1}"]`)).toHaveTextContent('flagged'));
  });

  it('marks every message of every conversation after select-all, in the Inbox and in Sent', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { component, onselectionchange } = setup(backend, 'INBOX', { conversations: true });
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    const query: Partial<ListQuery> = { conversations: true };
    const { total, unread } = await messages(backend, 'INBOX', 0, 1, query);
    expect(unread).toBeGreaterThan(0);
    const flaggedBefore = (await messages(backend, 'Sent', 0, 1000)).rows.filter((m) => m.flagged).map((m) => m.uid);
    component.selectAll();
    await waitFor(() => expect(onselectionchange.mock.lastCall![1]).toBe(total));

    await component.toggleRead();
    expect((await messages(backend, 'INBOX', 0, 1, query)).unread).toBe(0);
    await component.toggleFlag();
    const everything = [
      ...(await messages(backend, 'INBOX', 0, 1000, { ...query, conversations: false })).rows,
      ...(await messages(backend, 'INBOX', 1000, 1000, { ...query, conversations: false })).rows,
      ...(await messages(backend, 'INBOX', 2000, 1000, { ...query, conversations: false })).rows,
    ];
    expect(everything.length).toBe((await messages(backend, 'INBOX', 0, 1)).total);
    expect(everything.every((m) => m.flagged && m.seen)).toBe(true);
    // The user's replies belong to the conversations too.
    const sent = (await messages(backend, 'Sent', 0, 1000)).rows;
    const threads = new Set(everything.map((m) => m.threadId));
    const replies = sent.filter((m) => threads.has(m.threadId));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((m) => m.flagged)).toBe(true);
    // The others stay as they were.
    const others = sent.filter((m) => !threads.has(m.threadId));
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((m) => m.flagged).map((m) => m.uid)).toEqual(
      flaggedBefore.filter((uid) => others.some((m) => m.uid === uid)),
    );
  });

  it('names each row’s account in the unified inbox', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'two' });
    setup(backend, 'INBOX', {
      source: { kind: 'allInboxes' },
      folder: null,
      title: 'All inboxes',
      subtitle: '2 accounts',
      accounts: [DEMO_ACCOUNT, WORK_ACCOUNT],
    });
    expect(screen.getByRole('heading', { name: 'All inboxes' })).toBeInTheDocument();
    expect(screen.getByText('2 accounts')).toBeInTheDocument();
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(10));
    const rows = (
      await backend.listRows(
        { source: { kind: 'allInboxes' }, sort: 'date', descending: true, filter: '', conversations: false },
        0,
        10,
      )
    ).rows;
    expect(new Set(rows.map((r) => r.accountId)).size).toBe(2);
    rows.forEach((row, i) => {
      const name = row.accountId === 'work' ? 'Ada at Analytical' : 'Ada Lovelace';
      expect(options(list)[i]!.querySelector('.account')).toHaveTextContent(name);
    });
    expect(screen.getByText(/^[\d,]+ messages, [\d,]+ unread$/)).toBeInTheDocument();
  });

  it('puts a row on one line in the compact density, two in the comfortable one', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { result } = setup(backend, 'Archive', { density: 'compact' });
    let list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    expect(list).toHaveClass('compact');
    expect(options(list)[0]!.style.height).toBe('34px');
    await result.rerender({ density: 'comfortable' });
    list = screen.getByRole('listbox', { name: 'Messages' });
    expect(list).not.toHaveClass('compact');
    await waitFor(() => expect(options(list)[0]!.style.height).toBe(`${ROW_HEIGHT}px`));
  });

  it('moves with next/previous, opens, and focuses the filter and the list on request', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const onopen = vi.fn();
    const { component } = setup(backend, 'Archive', { onopen });
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(options(list).length).toBeGreaterThan(5));
    component.next();
    component.next();
    component.previous();
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', '1'));
    component.next();
    component.open();
    expect(onopen).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(selected(list)).toHaveAttribute('aria-posinset', '2'));
    component.focusFilter();
    expect(screen.getByRole('searchbox', { name: 'Filter messages' })).toHaveFocus();
    component.clear();
    expect(list).toHaveFocus();
    await fireEvent.keyDown(list, { key: 'Enter' });
    expect(onopen).toHaveBeenCalledTimes(2);
  });
});
