import { render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Folder } from '../../ipc/backend';
import { createFakeBackend, DEMO_ACCOUNT, typicalFolders, type FakeBackend } from '../../ipc/fake';
import Sidebar from '../sidebar/Sidebar.svelte';
import { PROGRESS_SETTLE_MS, SyncCenter } from './sync.svelte';

async function listening(backend: FakeBackend) {
  const sync = new SyncCenter(backend);
  const stop = await sync.listen();
  return { sync, stop };
}

function renderSidebar(backend: FakeBackend, sync: SyncCenter) {
  render(Sidebar, {
    props: { backend, sync, accounts: [DEMO_ACCOUNT], selection: null, onselect: vi.fn(), onaddaccount: vi.fn() },
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('following the live engine', () => {
  it('applies countsChanged to the counts directly, without reading them again', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    await sync.refreshCounts('demo');
    const archive = sync.counts.get('demo')?.get('Archive');
    backend.calls.length = 0;

    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'demo', path: 'INBOX', total: 2_401, unread: 42 }]);
    expect(sync.counts.get('demo')?.get('INBOX')).toEqual({ path: 'INBOX', total: 2_401, unread: 42 });
    expect(sync.unread('demo', 'INBOX')).toBe(42);
    // The other folders keep their counts.
    expect(sync.counts.get('demo')?.get('Archive')).toEqual(archive);
    expect(backend.calls.map((c) => c.method)).not.toContain('folderCounts');

    // Counts for an account not read yet start its map.
    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'other', path: 'INBOX', total: 3, unread: 1 }]);
    expect(sync.counts.get('other')?.get('INBOX')?.unread).toBe(1);
  });

  it('shows applied counts next to the folder in the sidebar', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    renderSidebar(backend, sync);
    const inbox = await screen.findByRole('treeitem', { name: 'Inbox' });
    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'demo', path: 'INBOX', total: 2_401, unread: 77 }]);
    await waitFor(() => expect(inbox).toHaveTextContent('Inbox 77 unread'));
  });

  it('bumps the revision of the changed folder only', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    const before = {
      inbox: sync.revision('demo', 'INBOX'),
      archive: sync.revision('demo', 'Archive'),
      account: sync.revision('demo'),
      other: sync.revision('other', 'INBOX'),
    };
    backend.emitMailEvents([
      { kind: 'mailboxChanged', accountId: 'demo', path: 'INBOX', added: [2_401], changed: [], removed: [], more: false },
    ]);
    expect(sync.revision('demo', 'INBOX')).toBe(before.inbox + 1);
    expect(sync.revision('demo', 'Archive')).toBe(before.archive);
    expect(sync.revision('demo')).toBe(before.account);
    expect(sync.revision('other', 'INBOX')).toBe(before.other);

    // Flag changes and removals count too; newMail alone changes nothing (its mailboxChanged does).
    backend.emitMailEvents([
      { kind: 'mailboxChanged', accountId: 'demo', path: 'Archive', added: [], changed: [7], removed: [3], more: false },
      { kind: 'newMail', accountId: 'demo', path: 'INBOX', count: 1 },
    ]);
    expect(sync.revision('demo', 'Archive')).toBe(before.archive + 1);
    expect(sync.revision('demo', 'INBOX')).toBe(before.inbox + 1);
  });

  it('reads every status at start and follows accountStatus events', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    await waitFor(() => expect(sync.statuses.get('demo')).toEqual({ state: 'online', push: true }));
    backend.setStatus('demo', { state: 'offline', reason: 'the network is down', retryAtMs: 1, attempts: 2 });
    expect(sync.statuses.get('demo')).toMatchObject({ state: 'offline', attempts: 2 });
  });

  it('keeps a status reported while the snapshot was on its way', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    let answer: (entries: Awaited<ReturnType<FakeBackend['accountStatuses']>>) => void = () => {};
    backend.accountStatuses = () => new Promise((resolve) => (answer = resolve));
    const { sync } = await listening(backend);
    backend.setStatus('demo', { state: 'connecting' });
    answer([{ accountId: 'demo', status: { state: 'online', push: true } }]);
    await Promise.resolve();
    await Promise.resolve();
    expect(sync.statuses.get('demo')).toEqual({ state: 'connecting' });
  });

  it('re-reads the folder tree from the cache on foldersChanged', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    renderSidebar(backend, sync);
    const tree = await screen.findByRole('tree', { name: 'Ada Lovelace' });
    await waitFor(() => expect(backend.calls.map((c) => c.method)).toContain('refreshFolders'));
    const newsletters: Folder = { ...typicalFolders()[1]!, path: 'Newsletters', name: 'Newsletters', role: null };
    vi.spyOn(backend, 'cachedFolders').mockResolvedValue([...typicalFolders(), newsletters]);

    backend.emitMailEvents([{ kind: 'foldersChanged', accountId: 'demo' }]);
    expect(await within(tree).findByRole('treeitem', { name: 'Newsletters' })).toBeInTheDocument();
    expect(sync.folderListRevision('demo')).toBe(1);
  });

  it('re-reads the quota after changes, which the engine records with its syncs', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    vi.spyOn(backend, 'accountQuota').mockResolvedValue({ usedKib: 10, limitKib: 100 });
    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'demo', path: 'INBOX', total: 1, unread: 1 }]);
    await waitFor(() => expect(sync.quotas.get('demo')).toEqual({ usedKib: 10, limitKib: 100 }));
  });
});

describe('the progress bar of the engine’s syncs', () => {
  it('shows while sync-progress arrives and goes when the folder is done', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    renderSidebar(backend, sync);
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 50, total: 2_400 });
    const bar = await screen.findByRole('progressbar', { name: 'Syncing Inbox' });
    expect(bar).toHaveAttribute('aria-valuenow', '50');
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 2_050, total: 2_400 });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '2050'));
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 2_400, total: 2_400 });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    expect(sync.isSyncing('demo', 'INBOX')).toBe(false);
  });

  it('goes shortly after the folder’s changes are published when its last report never came', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 2_050, total: 2_400 });
    expect(sync.folderProgress('demo', 'INBOX')?.done).toBe(2_050);
    expect(sync.isSyncing('demo', 'INBOX')).toBe(true);

    // Another folder's changes do not end this folder's sync.
    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'demo', path: 'Archive', total: 1, unread: 0 }]);
    vi.advanceTimersByTime(PROGRESS_SETTLE_MS * 2);
    expect(sync.progress.has('demo')).toBe(true);

    backend.emitMailEvents([
      { kind: 'mailboxChanged', accountId: 'demo', path: 'INBOX', added: [], changed: [], removed: [], more: true },
      { kind: 'countsChanged', accountId: 'demo', path: 'INBOX', total: 2_400, unread: 40 },
    ]);
    vi.advanceTimersByTime(PROGRESS_SETTLE_MS - 1);
    // More progress: the sync goes on, and so does the bar.
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 2_100, total: 2_400 });
    vi.advanceTimersByTime(PROGRESS_SETTLE_MS * 2);
    expect(sync.progress.get('demo')?.done).toBe(2_100);

    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'demo', path: 'INBOX', total: 2_400, unread: 40 }]);
    vi.advanceTimersByTime(PROGRESS_SETTLE_MS);
    expect(sync.progress.has('demo')).toBe(false);
  });

  it('goes when the connection drops mid-sync', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 50, total: 2_400 });
    expect(sync.progress.has('demo')).toBe(true);
    backend.setStatus('demo', { state: 'offline', reason: 'connection reset', retryAtMs: Date.now() + 5_000, attempts: 1 });
    expect(sync.progress.has('demo')).toBe(false);
  });

  it('stays apart per account, and a finished folder does not remove another folder’s bar', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = await listening(backend);
    backend.emitProgress({ accountId: 'demo', path: 'Archive', done: 50, total: 1_250 });
    backend.emitProgress({ accountId: 'other', path: 'INBOX', done: 50, total: 100 });
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 10, total: 10 });
    expect(sync.folderProgress('demo', 'Archive')?.done).toBe(50);
    expect(sync.folderProgress('other', 'INBOX')?.done).toBe(50);
  });

  it('stops following when asked', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync, stop } = await listening(backend);
    stop();
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 50, total: 2_400 });
    backend.emitMailEvents([{ kind: 'countsChanged', accountId: 'demo', path: 'INBOX', total: 5, unread: 5 }]);
    expect(sync.progress.size).toBe(0);
    expect(sync.counts.get('demo')).toBeUndefined();
  });
});
