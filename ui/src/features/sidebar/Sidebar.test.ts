import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../ipc/backend';
import { BackendError } from '../../ipc/backend';
import { createFakeBackend, DEMO_ACCOUNT, DEMO_QUOTA, typicalFolders, WORK_ACCOUNT } from '../../ipc/fake';
import { SyncCenter } from '../sync/sync.svelte';
import Sidebar from './Sidebar.svelte';
import type { Selection } from './tree';

function setup(backend: Backend, accounts = [DEMO_ACCOUNT], selection: Selection | null = null) {
  const onselect = vi.fn<(s: Selection) => void>();
  const onaddaccount = vi.fn();
  const sync = new SyncCenter(backend);
  const result = render(Sidebar, {
    props: { backend, sync, accounts, selection, onselect, onaddaccount },
  });
  return { onselect, onaddaccount, result, sync };
}

describe('sidebar', () => {
  it('shows the cached folders first, then the refreshed list, and opens the inbox', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    let finishRefresh: (value: ReturnType<typeof typicalFolders>) => void = () => {};
    backend.refreshFolders = () => new Promise((resolve) => (finishRefresh = resolve));
    const { onselect } = setup(backend);

    const nav = screen.getByRole('navigation', { name: 'Folders' });
    const tree = await within(nav).findByRole('tree', { name: 'Ada Lovelace' });
    expect(within(tree).getAllByRole('treeitem')).toHaveLength(11);
    await waitFor(() =>
      expect(onselect).toHaveBeenCalledWith({
        kind: 'folder',
        accountId: 'demo',
        folder: expect.objectContaining({ path: 'INBOX' }),
      }),
    );

    finishRefresh([...typicalFolders(), { ...typicalFolders()[1]!, path: 'Newsletters', name: 'Newsletters', role: null }]);
    await within(tree).findByRole('treeitem', { name: 'Newsletters' });
  });

  it('shows a non-blocking banner when the refresh fails, and retries', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const refresh = vi
      .spyOn(backend, 'refreshFolders')
      .mockRejectedValueOnce(
        new BackendError({ kind: 'unreachable', message: 'could not reach imap.example.org:993', fingerprint: null }),
      );
    setup(backend);

    const banner = await screen.findByText(/Couldn’t update the folder list/);
    expect(banner).toHaveTextContent('Could not reach imap.example.org:993.');
    // The cached folders stay usable.
    expect(screen.getByRole('treeitem', { name: 'Inbox' })).toBeInTheDocument();

    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByText(/Couldn’t update the folder list/)).toBeNull());
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('shows the storage quota under the folders, and nothing when the server reports none', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'demo' });
    const { sync } = setup(backend);
    await screen.findByRole('tree', { name: 'Ada Lovelace' });
    expect(screen.queryByRole('meter')).toBeNull();

    await sync.refreshQuota('demo');
    const section = screen.getByRole('region', { name: 'Ada Lovelace' });
    const meter = await within(section).findByRole('meter', { name: 'Storage used' });
    expect(meter).toHaveTextContent('1.3 GB of 5 GB used');
    expect(meter).toHaveAttribute('aria-valuetext', meter.textContent?.trim());
    expect(meter).toHaveAttribute('aria-valuenow', String(DEMO_QUOTA.usedKib));
    expect(meter).toHaveAttribute('aria-valuemax', String(DEMO_QUOTA.limitKib));
    expect(meter).not.toHaveClass('warning');

    // Nearly full: the bar warns.
    vi.spyOn(backend, 'accountQuota').mockResolvedValueOnce({ usedKib: 4.7 * 1024 * 1024, limitKib: 5 * 1024 * 1024 });
    await sync.refreshQuota('demo');
    await waitFor(() => expect(meter).toHaveClass('warning'));
    expect(meter).toHaveAttribute('aria-valuetext', '4.7 GB of 5 GB used');

    // The server stopped reporting one.
    vi.spyOn(backend, 'accountQuota').mockResolvedValueOnce(null);
    await sync.refreshQuota('demo');
    await waitFor(() => expect(screen.queryByRole('meter')).toBeNull());
  });

  it('opens the add-account dialog from its footer', async () => {
    const { onaddaccount } = setup(createFakeBackend({ latencyMs: 0, fixture: 'demo' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Add account' }));
    expect(onaddaccount).toHaveBeenCalled();
  });

  it('offers "All inboxes" above the accounts when there are two or more, with their unread mail', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'two' });
    const { onselect, sync } = setup(backend, [DEMO_ACCOUNT, WORK_ACCOUNT]);
    const nav = screen.getByRole('navigation', { name: 'Folders' });
    const all = within(nav).getByRole('treeitem', { name: 'All inboxes' });
    // It comes before either account's folders.
    await within(nav).findByRole('tree', { name: 'Ada at Analytical' });
    const trees = within(nav).getAllByRole('tree');
    expect(trees[0]).toContainElement(all);
    expect(trees.map((t) => t.getAttribute('aria-label'))).toEqual([
      'All accounts',
      'Ada Lovelace',
      'Ada at Analytical',
    ]);

    await sync.refreshCounts('demo');
    await sync.refreshCounts('work');
    const counts = await Promise.all(['demo', 'work'].map((id) => backend.folderCounts(id)));
    const unread = counts.reduce((sum, c) => sum + c.find((f) => f.path === 'INBOX')!.unread, 0);
    expect(unread).toBeGreaterThan(0);
    await waitFor(() => expect(all).toHaveAccessibleDescription(`${unread.toLocaleString()} unread`));

    await fireEvent.click(all);
    expect(onselect).toHaveBeenLastCalledWith({ kind: 'allInboxes' });
    onselect.mockClear();
    await fireEvent.keyDown(all, { key: 'Enter' });
    expect(onselect).toHaveBeenLastCalledWith({ kind: 'allInboxes' });
  });

  it('shows "All inboxes" as selected, and not with one account', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'two' });
    setup(backend, [DEMO_ACCOUNT, WORK_ACCOUNT], { kind: 'allInboxes' });
    const all = screen.getByRole('treeitem', { name: 'All inboxes' });
    expect(all).toHaveAttribute('aria-selected', 'true');
    const tree = await screen.findByRole('tree', { name: 'Ada Lovelace' });
    const inbox = within(tree).getByRole('treeitem', { name: 'Inbox' });
    expect(inbox).toHaveAttribute('aria-selected', 'false');
    cleanup();
    setup(createFakeBackend({ latencyMs: 0, fixture: 'demo' }));
    await screen.findByRole('tree', { name: 'Ada Lovelace' });
    expect(screen.queryByRole('treeitem', { name: /All inboxes/ })).toBeNull();
  });
});
