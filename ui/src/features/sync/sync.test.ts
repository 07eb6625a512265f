import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { BackendError } from '../../ipc/backend';
import { createFakeBackend, DEMO_ACCOUNT, type FakeBackend } from '../../ipc/fake';
import { explain } from '../accounts/errors';
import Sidebar from '../sidebar/Sidebar.svelte';
import { SyncCenter } from './sync.svelte';

function setup(backend: FakeBackend) {
  const sync = new SyncCenter(backend);
  render(Sidebar, {
    props: { backend, sync, accounts: [DEMO_ACCOUNT], selection: null, onselect: vi.fn(), onaddaccount: vi.fn() },
  });
  return sync;
}

describe('sync in the sidebar', () => {
  it('shows unread counts next to folders, hidden when zero, refreshed after a sync', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const sync = setup(backend);
    await sync.refreshCounts('demo');
    const counts = new Map((await backend.folderCounts('demo')).map((c) => [c.path, c.unread]));
    const inbox = await screen.findByRole('treeitem', { name: 'Inbox' });
    const before = counts.get('INBOX')!;
    expect(before).toBeGreaterThan(0);
    await waitFor(() => expect(inbox).toHaveAccessibleDescription(expect.stringContaining(`${before} unread`)));
    expect(inbox).toHaveTextContent(`Inbox ${before} unread`);
    const empty = screen.getByRole('treeitem', { name: 'Entwürfe' });
    expect(within(empty).queryByText(/unread/)).toBeNull();
    expect(within(screen.getByRole('treeitem', { name: 'Sent' })).queryByText(/unread/)).toBeNull();

    // The sync brings three new Inbox messages.
    await sync.syncAccount('demo');
    const after = (await backend.folderCounts('demo')).find((c) => c.path === 'INBOX')!.unread;
    expect(after).toBeGreaterThan(before);
    await waitFor(() => expect(inbox).toHaveTextContent(`Inbox ${after} unread`));
  });

  it('shows a progress bar from sync-progress events', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const sync = setup(backend);
    await sync.listen();
    backend.emitProgress({ accountId: 'demo', path: 'INBOX', done: 2_050, total: 100_000 });
    const bar = await screen.findByRole('progressbar', { name: 'Syncing Inbox' });
    expect(bar).toHaveAttribute('aria-valuenow', '2050');
    expect(bar).toHaveAttribute('aria-valuemax', '100000');
    expect(bar).toHaveAttribute('aria-valuetext', '2,050 of 100,000 messages');
    backend.emitProgress({ accountId: 'demo', path: 'Archive', done: 50, total: 1_250 });
    await screen.findByRole('progressbar', { name: 'Syncing Archive' });
    expect(screen.getAllByRole('progressbar')).toHaveLength(1);
  });

  it('reports progress during a real (fake) initial sync and removes the bar when done', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const account = await backend.addAccount({
      displayName: 'Grace',
      email: 'grace@example.org',
      password: 'cobol',
      imap: { host: 'imap.example.org', port: 993, security: 'tls', username: 'grace', pinnedCertSha256: null },
    });
    const sync = new SyncCenter(backend);
    const seen: number[] = [];
    await backend.onSyncProgress((e) => e.path === 'INBOX' && seen.push(e.done));
    await sync.listen();
    await sync.syncAccount(account.id);
    expect(seen).toEqual([50, 2_050, 2_400]);
    expect(sync.progress.size).toBe(0);
    expect(sync.counts.get(account.id)?.get('INBOX')?.total).toBe(2_400);
  });

  it('shows a new account’s storage quota once its first sync has finished', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const account = await backend.addAccount({
      displayName: 'Grace',
      email: 'grace@example.org',
      password: 'cobol',
      imap: { host: 'imap.example.org', port: 993, security: 'tls', username: 'grace', pinnedCertSha256: null },
    });
    const sync = new SyncCenter(backend);
    render(Sidebar, {
      props: { backend, sync, accounts: [account], selection: null, onselect: vi.fn(), onaddaccount: vi.fn() },
    });
    await sync.refreshQuota(account.id);
    expect(sync.quotas.get(account.id)).toBeNull();
    await screen.findByRole('tree', { name: 'Grace' });
    expect(screen.queryByRole('meter', { name: 'Storage used' })).toBeNull();

    await sync.syncAccount(account.id);
    const meter = await screen.findByRole('meter', { name: 'Storage used' });
    expect(meter).toHaveAttribute('aria-valuetext', '240 MB of 15 GB used');
    expect(meter).toHaveTextContent('240 MB of 15 GB used');
  });

  it('explains a lost connection in a non-blocking banner with Retry', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const syncAccount = vi
      .spyOn(backend, 'syncAccount')
      .mockRejectedValueOnce(
        new BackendError({
          kind: 'connectionLost',
          message: 'the connection to imap.example.org was lost while downloading INBOX',
          fingerprint: null,
        }),
      );
    const sync = setup(backend);
    await sync.syncAccount('demo');
    const banner = (await screen.findByText(/Couldn’t sync this account/)).closest('.banner') as HTMLElement;
    expect(banner).toHaveTextContent(
      'Couldn’t sync this account. The connection to imap.example.org was lost while downloading INBOX. Nothing was lost: Tern keeps what it already downloaded.',
    );
    // The folders stay usable.
    expect(screen.getByRole('treeitem', { name: 'Inbox' })).toBeInTheDocument();
    await fireEvent.click(within(banner).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByText(/Couldn’t sync/)).toBeNull());
    expect(syncAccount).toHaveBeenCalledTimes(2);
  });

  it('knows what connectionLost means', () => {
    const e = explain({ kind: 'connectionLost', message: 'connection reset by peer', fingerprint: null });
    expect(e.title).toBe('The connection to the server was lost');
    expect(e.detail).toBe('Connection reset by peer.');
    expect(BackendError.from({ kind: 'connectionLost', message: 'x', fingerprint: null }).kind).toBe('connectionLost');
  });

  it('drops the connection on the first sync of dropped.example, then succeeds', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const account = await backend.addAccount({
      displayName: 'Drop',
      email: 'drop@dropped.example',
      password: 'x',
      imap: { host: 'dropped.example', port: 993, security: 'tls', username: 'drop', pinnedCertSha256: null },
    });
    const sync = new SyncCenter(backend);
    await sync.syncAccount(account.id);
    expect(sync.failures.get(account.id)?.error.kind).toBe('connectionLost');
    await sync.failures.get(account.id)!.retry();
    expect(sync.failures.has(account.id)).toBe(false);
  });
});
