import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { READER_MIN } from './features/layout/widths';
import type { ListQuery, Settings } from './ipc';
import { createFakeBackend, DEFAULT_SETTINGS, type FakeBackend } from './ipc/fake';

const INBOX: ListQuery = {
  source: { kind: 'folder', accountId: 'demo', path: 'INBOX' },
  sort: 'date',
  descending: true,
  filter: '',
  conversations: true,
};

/** Waits until the Inbox holds all 2,400 messages of the server and the list's header counts them. */
async function caughtUp(backend: FakeBackend, accountId: string) {
  const query: ListQuery = { ...INBOX, source: { kind: 'folder', accountId, path: 'INBOX' } };
  await waitFor(
    async () => {
      expect((await backend.listRows({ ...query, conversations: false }, 0, 0)).total).toBe(2_400);
      const { total } = await backend.listRows(query, 0, 0);
      expect(screen.getByText(/^[\d,]+ conversations, \d+ unread$/).textContent).toMatch(
        new RegExp(`^${total.toLocaleString()} conversations`),
      );
    },
    { timeout: 5_000 },
  );
}

describe('app', () => {
  it('welcomes a first start, and shows the shell once an account is added', async () => {
    const backend = createFakeBackend({ latencyMs: 0, live: true });
    render(App, { props: { backend } });
    expect(await screen.findByRole('heading', { name: 'Welcome to Tern' })).toBeInTheDocument();

    await fireEvent.input(screen.getByLabelText('Your name'), { target: { value: 'Grace Hopper' } });
    await fireEvent.input(screen.getByLabelText('Email address'), { target: { value: 'grace@example.org' } });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'cobol' } });
    await fireEvent.input(screen.getByLabelText('IMAP server'), { target: { value: 'imap.example.org' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add account' }));

    const nav = await screen.findByRole('navigation', { name: 'Folders' });
    const inbox = await within(nav).findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(inbox).toBeInTheDocument();
    const messages = screen.getByRole('region', { name: 'Messages' });
    expect(within(messages).getByRole('heading', { name: 'Inbox' })).toBeInTheDocument();
    // The engine's first sync of the new account runs by itself and fills the list.
    const list = await within(messages).findByRole('listbox', { name: 'Messages' });
    await waitFor(() => expect(list.querySelectorAll('[role="option"]').length).toBeGreaterThan(0));
    await caughtUp(backend, 'account-1');
    expect(within(screen.getByRole('region', { name: 'Reader' })).getByText('Select a message to read it')).toBeInTheDocument();
    await within(nav).findByRole('img', { name: 'Online' });
    expect(backend.calls.map((c) => c.method)).not.toContain('syncAccount');
  });

  it('opens straight on the shell when an account exists, without syncing it itself', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo', live: true });
    render(App, { props: { backend } });
    await screen.findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(screen.queryByRole('heading', { name: 'Welcome to Tern' })).toBeNull();
    // The engine catches up with the three new Inbox messages on its own.
    await caughtUp(backend, 'demo');
    const methods = backend.calls.map((c) => c.method);
    expect(methods).toContain('accountStatuses');
    expect(methods).not.toContain('syncAccount');
    expect(methods).not.toContain('syncFolder');
  });

  it('shares the preferences: a sender allowed in the reader shows in Settings, and the settings steer the reader', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    // One row per message: each opens on its own in the reader.
    await backend.setSettings({ ...DEFAULT_SETTINGS, conversations: false });
    render(App, { props: { backend } });
    const list = await screen.findByRole('listbox', { name: 'Messages' });
    const rows = (await backend.listRows({ ...INBOX, conversations: false }, 0, 50)).rows;
    const index = rows.findIndex((r) => r.uid % 4 === 0);
    const sender = rows[index]!.from[0]!.email;
    await waitFor(() => expect(list.querySelector(`[aria-posinset="${index + 1}"] .row:not(.placeholder)`)).not.toBeNull());
    await fireEvent.click(list.querySelector(`[aria-posinset="${index + 1}"]`)!);

    const reader = screen.getByRole('region', { name: 'Reader' });
    await fireEvent.click(await within(reader).findByRole('button', { name: `Always load from ${sender}` }));
    await within(reader).findByText(`Remote content is loaded for messages from ${sender}`);

    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    const senders = await within(dialog).findByRole('list', { name: 'Remote content allowed for' });
    expect(senders).toHaveTextContent(sender.toLowerCase());

    // Never marking read: the next unread message opened stays unread.
    await fireEvent.change(within(dialog).getByRole('combobox', { name: 'Mark messages read' }), { target: { value: 'never' } });
    await waitFor(() => expect(backend.calls.some((c) => c.method === 'setSettings')).toBe(true));
    backend.calls.length = 0;
    const unread = rows.findIndex((r, i) => !r.seen && i !== index);
    await fireEvent.click(list.querySelector(`[aria-posinset="${unread + 1}"]`)!);
    await within(reader).findByRole('heading', { name: rows[unread]!.subject });
    await within(reader).findByTitle('Message');
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.calls.map((c) => c.method)).not.toContain('setFlags');
    expect(backend.calls.map((c) => c.method)).not.toContain('getSettings');
  });
});

/** The app on the demo account (conversations, unless the settings say otherwise), with the list's first rows shown. */
async function openApp(fixture: 'demo' | 'two' = 'demo', settings: Partial<Settings> = {}) {
  const backend = createFakeBackend({ latencyMs: 0, fixture });
  await backend.setSettings({ ...DEFAULT_SETTINGS, ...settings });
  backend.calls.length = 0;
  render(App, { props: { backend } });
  const list = await screen.findByRole('listbox', { name: 'Messages' });
  await waitFor(() => expect(list.querySelector('[aria-posinset="3"] .row')).not.toBeNull());
  return { backend, list };
}

const option = (list: HTMLElement, position: number) => list.querySelector<HTMLElement>(`[aria-posinset="${position}"]`)!;
const selectedPositions = (list: HTMLElement) =>
  [...list.querySelectorAll('[role="option"][aria-selected="true"]')].map((o) => Number(o.getAttribute('aria-posinset')));
/** A key pressed wherever the keyboard is. */
const press = (key: string, init: KeyboardEventInit = {}) =>
  fireEvent.keyDown(document.activeElement ?? document.body, { key, ...init });

describe('app keyboard', () => {
  it('j, k and the arrows move through the list from anywhere; u and s act on the selected row', async () => {
    const { backend, list } = await openApp();
    await press('j');
    await waitFor(() => expect(selectedPositions(list)).toEqual([1]));
    await press('j');
    await waitFor(() => expect(selectedPositions(list)).toEqual([2]));
    await press('k');
    await waitFor(() => expect(selectedPositions(list)).toEqual([1]));
    await press('ArrowDown');
    await waitFor(() => expect(selectedPositions(list)).toEqual([2]));
    await press('ArrowUp');
    await press('ArrowDown');
    await waitFor(() => expect(selectedPositions(list)).toEqual([2]));

    const row = (await backend.listRows(INBOX, 1, 1)).rows[0]!;
    const inInbox = (await backend.conversation('demo', 'INBOX', row.uid)).filter((m) => m.path === 'INBOX');
    backend.calls.length = 0;
    await press('u');
    await waitFor(() =>
      expect(backend.calls).toContainEqual({
        method: 'setFlags',
        args: ['demo', 'INBOX', expect.arrayContaining(inInbox.map((m) => m.uid)), { seen: !row.seen, flagged: null }],
      }),
    );
    const flagged = (flag: boolean) =>
      backend.calls.some((c) => c.method === 'setFlags' && (c.args[3] as { flagged: boolean }).flagged === flag);
    await press('s');
    await waitFor(() => expect(flagged(!row.flagged)).toBe(true));
  });

  it('/ focuses the filter, where letters are typed, not obeyed; Esc leaves it', async () => {
    const { list } = await openApp();
    await press('j');
    await waitFor(() => expect(selectedPositions(list)).toEqual([1]));
    await press('/');
    const filter = screen.getByRole('searchbox', { name: 'Filter messages' });
    expect(filter).toHaveFocus();
    await press('j');
    await press('u');
    expect(selectedPositions(list)).toEqual([1]);
    await press('Escape');
    expect(filter).not.toHaveFocus();
  });

  it('Enter and o open the selected message: the keyboard moves to the reader; Esc brings it back', async () => {
    const { list } = await openApp();
    await press('j');
    await press('o');
    const reader = screen.getByRole('region', { name: 'Reader' });
    await waitFor(() => expect(reader).toContainElement(document.activeElement as HTMLElement));
    // j still moves on from the reader.
    await press('j');
    await waitFor(() => expect(selectedPositions(list)).toEqual([2]));
    await press('Escape');
    expect(list).toHaveFocus();
    await press('Enter');
    await waitFor(() => expect(screen.getByRole('region', { name: 'Reader' })).toContainElement(document.activeElement as HTMLElement));
  });

  it('? shows every shortcut; Esc closes it and gives the keyboard back', async () => {
    const { list } = await openApp();
    list.focus();
    await press('?', { shiftKey: true });
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(within(dialog).getByText('Next message')).toBeInTheDocument();
    // The shortcuts wait while it is open.
    await press('j');
    expect(selectedPositions(list)).toEqual([]);
    await press('Escape');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(list).toHaveFocus();
  });

  it('Ctrl+, opens the settings, even from a text field', async () => {
    await openApp();
    screen.getByRole('searchbox', { name: 'Filter messages' }).focus();
    await press(',', { ctrlKey: true });
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    await within(dialog).findByRole('region', { name: 'Appearance' });
    await press('Escape');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('searchbox', { name: 'Filter messages' })).toHaveFocus();
  });

  it('g then i goes to the inbox', async () => {
    await openApp();
    await fireEvent.click(screen.getByRole('treeitem', { name: 'Sent' }));
    await screen.findByRole('heading', { name: 'Sent' });
    document.body.focus();
    await press('g');
    await press('i');
    await screen.findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(screen.getByRole('region', { name: 'Messages' })).toContainElement(screen.getByRole('heading', { name: 'Inbox' }));
  });

  it('Ctrl+A in the list selects every row; several selected rows show a summary with actions', async () => {
    const { backend, list } = await openApp();
    await fireEvent.click(option(list, 1));
    await fireEvent.click(option(list, 3), { ctrlKey: true });
    const summary = await screen.findByRole('region', { name: 'Selection' });
    expect(within(summary).getByRole('heading')).toHaveTextContent('2 conversations selected');
    expect(screen.queryByRole('region', { name: 'Reader' })).toBeNull();
    const rows = (await backend.listRows(INBOX, 0, 3)).rows;
    const markRead = rows[0]!.seen && rows[2]!.seen ? 'Mark as unread' : 'Mark as read';
    backend.calls.length = 0;
    await fireEvent.click(within(summary).getByRole('button', { name: markRead }));
    await waitFor(() => expect(backend.calls.filter((c) => c.method === 'setFlags').length).toBeGreaterThan(0));
    const star = rows[0]!.flagged && rows[2]!.flagged ? 'Unstar' : 'Star';
    await fireEvent.click(within(summary).getByRole('button', { name: star }));
    await waitFor(() =>
      expect(backend.calls.some((c) => c.method === 'setFlags' && (c.args[3] as { flagged: boolean | null }).flagged !== null)).toBe(true),
    );

    list.focus();
    await fireEvent.keyDown(list, { key: 'a', ctrlKey: true });
    await waitFor(() => expect(list.querySelectorAll('[role="option"][aria-selected="false"]')).toHaveLength(0));
    expect(within(screen.getByRole('region', { name: 'Selection' })).getByRole('heading')).toHaveTextContent(
      / conversations selected$/,
    );
    // Esc goes back to the one row under the cursor, and the reader comes back.
    await press('Escape');
    await screen.findByRole('region', { name: 'Reader' });
  });
});

describe('app layout', () => {
  const width = window.innerWidth;
  afterEach(() => {
    Object.defineProperty(window, 'innerWidth', { value: width, configurable: true });
  });

  it('shows the panes at the saved widths, and saves them when a splitter moves', async () => {
    // A window wide enough for both widths and the reader.
    Object.defineProperty(window, 'innerWidth', { value: 1400, configurable: true });
    const { backend } = await openApp('demo', { sidebarWidth: 300, listWidth: 420 });
    const sidebar = screen.getByRole('separator', { name: 'Resize the folder list' });
    const list = screen.getByRole('separator', { name: 'Resize the message list' });
    expect(sidebar).toHaveAttribute('aria-valuenow', '300');
    expect(list).toHaveAttribute('aria-valuenow', '420');
    expect(sidebar).toHaveAttribute('aria-valuemin', '180');

    await fireEvent.keyDown(sidebar, { key: 'ArrowRight' });
    await fireEvent.keyDown(list, { key: 'ArrowLeft', shiftKey: true });
    expect(sidebar).toHaveAttribute('aria-valuenow', '316');
    expect(list).toHaveAttribute('aria-valuenow', '356');
    await waitFor(() => expect(backend.calls.map((c) => c.method)).toContain('setSettings'), { timeout: 2_000 });
    expect(await backend.getSettings()).toMatchObject({ sidebarWidth: 316, listWidth: 356 });
  });

  it('keeps the reader its room in a smaller window', async () => {
    Object.defineProperty(window, 'innerWidth', { value: 900, configurable: true });
    await openApp('demo', { sidebarWidth: 300, listWidth: 420 });
    const list = screen.getByRole('separator', { name: 'Resize the message list' });
    expect(list).toHaveAttribute('aria-valuenow', String(900 - READER_MIN - 300));
    expect(list).toHaveAttribute('aria-valuemax', String(900 - READER_MIN - 300));
  });

  it('a narrow window shows the reader in the list’s place once a message is opened', async () => {
    Object.defineProperty(window, 'innerWidth', { value: 700, configurable: true });
    const { list } = await openApp();
    expect(screen.queryByRole('separator', { name: 'Resize the message list' })).toBeNull();
    const shell = list.closest('.shell')!;
    expect(shell).toHaveClass('narrow');
    expect(shell).not.toHaveClass('reading');
    await press('j');
    await press('Enter');
    await waitFor(() => expect(shell).toHaveClass('reading'));
    const back = await screen.findByRole('button', { name: 'Back to the list' });
    await fireEvent.click(back);
    expect(shell).not.toHaveClass('reading');
    expect(list).toHaveFocus();
  });

  it('applies the theme and density of the settings, and their changes at once', async () => {
    const { list } = await openApp('demo', { theme: 'dark', density: 'compact' });
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(option(list, 1).style.height).toBe('34px');

    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    await fireEvent.click(await within(dialog).findByRole('radio', { name: 'Light' }));
    await fireEvent.click(within(dialog).getByRole('radio', { name: 'Comfortable' }));
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
    await waitFor(() => expect(option(screen.getByRole('listbox', { name: 'Messages' }), 1).style.height).toBe('58px'));

    // Conversations off: one row per message.
    await fireEvent.click(within(dialog).getByRole('switch', { name: 'Group messages into conversations' }));
    await screen.findByText(/^2,397 messages, \d+ unread$/);
  });

  it('every inbox: the list of the unified inbox, named for its accounts; g i stays there', async () => {
    const { backend } = await openApp('two');
    await fireEvent.click(screen.getByRole('treeitem', { name: /^All inboxes/ }));
    const messages = screen.getByRole('region', { name: 'Messages' });
    await within(messages).findByRole('heading', { name: 'All inboxes' });
    expect(within(messages).getByText('2 accounts')).toBeInTheDocument();
    await waitFor(() =>
      expect(backend.calls).toContainEqual({
        method: 'listRows',
        args: [expect.objectContaining({ source: { kind: 'allInboxes' } }), expect.any(Number), expect.any(Number)],
      }),
    );
    document.body.focus();
    await press('g');
    await press('i');
    await new Promise((r) => setTimeout(r, 20));
    expect(within(messages).getByRole('heading', { name: 'All inboxes' })).toBeInTheDocument();
  });

  it('removing the account shown from Settings moves to the other one', async () => {
    const { backend } = await openApp('two');
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Remove Ada Lovelace' }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Remove account' }));
    await waitFor(() => expect(within(within(dialog).getByRole('list', { name: 'Accounts' })).getAllByRole('listitem')).toHaveLength(1));
    expect(backend.calls).toContainEqual({ method: 'removeAccount', args: ['demo'] });
    const nav = screen.getByRole('navigation', { name: 'Folders' });
    await waitFor(() => expect(within(nav).queryByRole('tree', { name: 'Ada Lovelace' })).toBeNull());
    await within(nav).findByRole('treeitem', { name: 'Inbox', selected: true });
    expect(within(screen.getByRole('region', { name: 'Messages' })).getByText('Ada at Analytical')).toBeInTheDocument();
  });

  it('a password refused: the banner signs in again through the backend', async () => {
    const { backend } = await openApp();
    backend.setStatus('demo', { state: 'authNeeded', reason: 'the server rejected the user name or password' });
    const nav = screen.getByRole('navigation', { name: 'Folders' });
    await fireEvent.click(await within(nav).findByRole('button', { name: 'Re-enter password' }));
    const dialog = screen.getByRole('dialog', { name: 'Re-enter password' });
    await fireEvent.input(within(dialog).getByLabelText('Password'), { target: { value: 'new secret' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(backend.calls).toContainEqual({ method: 'updateAccountAccess', args: ['demo', 'new secret', null] });
    await within(nav).findByRole('img', { name: 'Online' });
  });
});
