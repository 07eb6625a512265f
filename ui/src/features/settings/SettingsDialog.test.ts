import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { BackendError, type Account } from '../../ipc/backend';
import { createFakeBackend, DEFAULT_SETTINGS, WORK_ACCOUNT } from '../../ipc/fake';
import SettingsDialog from './SettingsDialog.svelte';

const last = <T>(list: T[]): T | undefined => list[list.length - 1];
const saved = (backend: ReturnType<typeof createFakeBackend>) =>
  backend.calls.filter((c) => c.method === 'setSettings').map((c) => c.args[0]);

interface Options {
  backend?: ReturnType<typeof createFakeBackend>;
  accounts?: Account[];
  onaddaccount?: () => void;
  onremoved?: (accountId: string) => void;
}

async function open(options: Options = {}) {
  const backend = options.backend ?? createFakeBackend({ latencyMs: 0, fixture: 'two' });
  const onclose = vi.fn();
  const result = render(SettingsDialog, { props: { onclose, ...options, backend } });
  const dialog = screen.getByRole('dialog', { name: 'Settings' });
  await within(dialog).findByRole('switch', { name: 'Desktop notifications for new mail' });
  return { backend, dialog, onclose, ...result };
}

describe('settings dialog', () => {
  it('has a section for each part: accounts, appearance, reading, notifications, storage', async () => {
    const { dialog } = await open();
    expect(within(dialog).getAllByRole('region')).toHaveLength(5);
    for (const name of ['Accounts', 'Appearance', 'Reading', 'Notifications', 'Storage'])
      expect(within(dialog).getByRole('region', { name })).toBeInTheDocument();
    const reading = within(dialog).getByRole('region', { name: 'Reading' });
    expect(within(reading).getByRole('combobox', { name: 'Mark messages read' })).toBeInTheDocument();
    expect(within(reading).getByRole('heading', { name: 'Remote content allowed for' })).toBeInTheDocument();
    const storage = within(dialog).getByRole('region', { name: 'Storage' });
    expect(within(storage).getByRole('spinbutton', { name: 'Cache for downloaded messages' })).toBeInTheDocument();
  });

  it('chooses the theme, the density and conversations', async () => {
    const { backend, dialog } = await open();
    const appearance = within(dialog).getByRole('region', { name: 'Appearance' });
    const theme = within(appearance).getByRole('group', { name: 'Theme' });
    expect(within(theme).getAllByRole('radio').map((r) => (r as HTMLInputElement).labels?.[0]?.textContent?.trim())).toEqual([
      'As the system',
      'Light',
      'Dark',
    ]);
    expect(within(theme).getByRole('radio', { name: 'As the system' })).toBeChecked();

    await fireEvent.click(within(theme).getByRole('radio', { name: 'Dark' }));
    await waitFor(() => expect(last(saved(backend))).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark' }));

    const density = within(appearance).getByRole('group', { name: 'Message list' });
    expect(within(density).getByRole('radio', { name: 'Comfortable' })).toBeChecked();
    await fireEvent.click(within(density).getByRole('radio', { name: 'Compact' }));
    await waitFor(() => expect(last(saved(backend))).toMatchObject({ theme: 'dark', density: 'compact' }));

    const grouping = within(appearance).getByRole('switch', { name: 'Group messages into conversations' });
    expect(grouping).toBeChecked();
    await fireEvent.click(grouping);
    await waitFor(() => expect(last(saved(backend))).toMatchObject({ conversations: false }));
    expect(await backend.getSettings()).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark', density: 'compact', conversations: false });
  });

  it('lists the accounts it is given, and adds one through the app', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'two' });
    const accounts = await backend.listAccounts();
    backend.calls.length = 0;
    const onaddaccount = vi.fn();
    const { dialog } = await open({ backend, accounts, onaddaccount });
    const list = within(dialog).getByRole('list', { name: 'Accounts' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Ada Lovelace');
    expect(items[1]).toHaveTextContent(WORK_ACCOUNT.email);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Add account' }));
    expect(onaddaccount).toHaveBeenCalledOnce();
    expect(backend.calls.map((c) => c.method)).not.toContain('listAccounts');
  });

  it('removes an account only after the user confirms', async () => {
    const backend = createFakeBackend({ latencyMs: 0, fixture: 'two' });
    const accounts = await backend.listAccounts();
    const onremoved = vi.fn();
    const { dialog, rerender } = await open({ backend, accounts, onremoved });
    const name = accounts[1]!.displayName;

    // Cancel: nothing happens, the keyboard is back on Remove.
    await fireEvent.click(within(dialog).getByRole('button', { name: `Remove ${name}` }));
    let confirm = within(dialog).getByRole('group', { name: new RegExp(`^Remove ${name} from Tern\\?`) });
    expect(within(confirm).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(dialog).queryByRole('group', { name: /from Tern\?/ })).toBeNull();
    expect(within(dialog).getByRole('button', { name: `Remove ${name}` })).toHaveFocus();
    expect(backend.calls.map((c) => c.method)).not.toContain('removeAccount');

    // A failure is told, and the account stays.
    vi.spyOn(backend, 'removeAccount').mockRejectedValueOnce(
      new BackendError({ kind: 'keychain', message: 'the keychain is locked', fingerprint: null }),
    );
    await fireEvent.click(within(dialog).getByRole('button', { name: `Remove ${name}` }));
    confirm = within(dialog).getByRole('group', { name: /from Tern\?/ });
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Remove account' }));
    expect(await within(confirm).findByRole('alert')).toHaveTextContent('Couldn’t remove the account. The keychain is locked.');
    expect(onremoved).not.toHaveBeenCalled();

    await fireEvent.click(within(confirm).getByRole('button', { name: 'Remove account' }));
    await waitFor(() => expect(onremoved).toHaveBeenCalledWith(accounts[1]!.id));
    expect((await backend.listAccounts()).map((a) => a.id)).toEqual([accounts[0]!.id]);
    // The app passes the accounts left.
    await rerender({ accounts: accounts.slice(0, 1) });
    expect(within(within(dialog).getByRole('list', { name: 'Accounts' })).getAllByRole('listitem')).toHaveLength(1);
  });

  it('reads the accounts itself when none are given, and has no Add account then', async () => {
    const { backend, dialog } = await open();
    const list = await within(dialog).findByRole('list', { name: 'Accounts' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(within(dialog).queryByRole('button', { name: 'Add account' })).toBeNull();
    await fireEvent.click(within(list).getByRole('button', { name: `Remove ${WORK_ACCOUNT.displayName}` }));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Remove account' }));
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(1));
    expect(backend.calls).toContainEqual({ method: 'removeAccount', args: [WORK_ACCOUNT.id] });
  });

  it('says when the settings can’t be read, and reads them again', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    vi.spyOn(backend, 'getSettings').mockRejectedValueOnce(
      new BackendError({ kind: 'storage', message: 'settings.json is not readable', fingerprint: null }),
    );
    render(SettingsDialog, { props: { backend, accounts: [] as Account[], onclose: () => {} } });
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Couldn’t read the settings. Settings.json is not readable.',
    );
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Try again' }));
    expect(await within(dialog).findByRole('switch', { name: 'Desktop notifications for new mail' })).toBeChecked();
  });
});
