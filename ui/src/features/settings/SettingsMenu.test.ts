import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import { BackendError } from '../../ipc/backend';
import { createFakeBackend, DEFAULT_SETTINGS } from '../../ipc/fake';
import { Preferences } from './preferences.svelte';
import { SETTINGS_SCREEN, SettingsScreen } from './screen.svelte';
import SettingsMenu from './SettingsMenu.svelte';

const last = <T>(list: T[]): T | undefined => list[list.length - 1];

function setup() {
  const backend = createFakeBackend({ latencyMs: 0 });
  render(SettingsMenu, { props: { backend } });
  return backend;
}

describe('settings menu', () => {
  it('opens from the gear, reads the settings and saves the notifications switch', async () => {
    const backend = setup();
    const gear = screen.getByRole('button', { name: 'Settings' });
    expect(gear).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('dialog')).toBeNull();

    await fireEvent.click(gear);
    expect(gear).toHaveAttribute('aria-expanded', 'true');
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    // The keyboard starts at the top of the long dialog: its title.
    expect(within(dialog).getByRole('heading', { name: 'Settings' })).toHaveFocus();
    const toggle = await within(dialog).findByRole('switch', { name: 'Desktop notifications for new mail' });
    expect(toggle).toBeChecked();
    expect(backend.calls.map((c) => c.method)).toContain('getSettings');
    expect(within(dialog).getByRole('region', { name: 'Notifications' })).toContainElement(toggle);

    await fireEvent.click(toggle);
    expect(toggle).not.toBeChecked();
    await waitFor(() =>
      expect(backend.calls).toContainEqual({ method: 'setSettings', args: [{ ...DEFAULT_SETTINGS, notifications: false }] }),
    );
    expect(await backend.getSettings()).toEqual({ ...DEFAULT_SETTINGS, notifications: false });

    // Escape closes it and gives the focus back to the gear.
    await fireEvent.keyDown(toggle, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(gear).toHaveFocus();
    expect(gear).toHaveAttribute('aria-expanded', 'false');

    // Opened again, it shows what was saved.
    await fireEvent.click(gear);
    expect(await screen.findByRole('switch', { name: 'Desktop notifications for new mail' })).not.toBeChecked();
  });

  it('puts the switch back and says so when saving fails', async () => {
    const backend = setup();
    vi.spyOn(backend, 'setSettings').mockRejectedValueOnce(
      new BackendError({ kind: 'storage', message: 'the disk is full', fingerprint: null }),
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const toggle = await screen.findByRole('switch', { name: 'Desktop notifications for new mail' });
    await fireEvent.click(toggle);
    expect(await screen.findByRole('alert')).toHaveTextContent('Couldn’t save the setting. The disk is full.');
    expect(toggle).toBeChecked();
    expect(await backend.getSettings()).toEqual(DEFAULT_SETTINGS);
  });

  it('closes with its Close button and with a click on the backdrop', async () => {
    setup();
    const gear = screen.getByRole('button', { name: 'Settings' });
    await fireEvent.click(gear);
    await fireEvent.click(within(screen.getByRole('dialog', { name: 'Settings' })).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(gear).toHaveFocus();

    await fireEvent.click(gear);
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    await within(dialog).findByRole('switch', { name: 'Desktop notifications for new mail' });
    // A click inside stays inside.
    await fireEvent.pointerDown(within(dialog).getByRole('heading', { name: 'Appearance' }));
    await fireEvent.click(within(dialog).getByRole('heading', { name: 'Appearance' }));
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeInTheDocument();
    await fireEvent.pointerDown(dialog);
    await fireEvent.click(dialog);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('keeps Tab inside the dialog', async () => {
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    await within(dialog).findByRole('switch', { name: 'Desktop notifications for new mail' });
    const close = within(dialog).getByRole('button', { name: 'Close' });
    const prefetch = within(dialog).getByRole('switch', { name: 'Download recent messages in the background' });
    prefetch.focus();
    await fireEvent.keyDown(prefetch, { key: 'Tab' });
    expect(close).toHaveFocus();
    await fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(prefetch).toHaveFocus();
  });

  it('opens the app’s settings screen when the app provides one, instead of its own', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const settingsScreen = new SettingsScreen();
    render(SettingsMenu, { props: { backend }, context: new Map([[SETTINGS_SCREEN, settingsScreen]]) });
    const gear = screen.getByRole('button', { name: 'Settings' });
    await fireEvent.click(gear);
    expect(settingsScreen.open).toBe(true);
    expect(settingsScreen.opener).toBe(gear);
    expect(screen.queryByRole('dialog')).toBeNull();
    await tick();
    expect(gear).toHaveAttribute('aria-expanded', 'true');
    await fireEvent.click(gear);
    expect(settingsScreen.open).toBe(false);
  });
});

describe('settings for reading', () => {
  async function openMenu(backend = createFakeBackend({ latencyMs: 0 })) {
    render(SettingsMenu, { props: { backend } });
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = screen.getByRole('dialog', { name: 'Settings' });
    await within(dialog).findByRole('combobox', { name: 'Mark messages read' });
    return { backend, dialog };
  }
  const saved = (backend: ReturnType<typeof createFakeBackend>) =>
    backend.calls.filter((c) => c.method === 'setSettings').map((c) => c.args[0]);

  it('chooses when opened messages count as read', async () => {
    const { backend, dialog } = await openMenu();
    const select = within(dialog).getByRole('combobox', { name: 'Mark messages read' }) as HTMLSelectElement;
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Immediately',
      'After 2 seconds',
      'After 5 seconds',
      'Never',
    ]);
    expect(select.selectedOptions[0]!.textContent).toBe('Immediately');

    await fireEvent.change(select, { target: { value: 'after:5' } });
    await waitFor(() => expect(last(saved(backend))).toMatchObject({ markRead: { kind: 'afterSeconds', seconds: 5 } }));
    await fireEvent.change(select, { target: { value: 'never' } });
    await waitFor(() => expect(last(saved(backend))).toMatchObject({ markRead: { kind: 'never' } }));
    expect((await backend.getSettings()).markRead).toEqual({ kind: 'never' });
  });

  it('keeps a delay chosen elsewhere selectable', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    await backend.setSettings({ ...DEFAULT_SETTINGS, markRead: { kind: 'afterSeconds', seconds: 10 } });
    const { dialog } = await openMenu(backend);
    const select = within(dialog).getByRole('combobox', { name: 'Mark messages read' }) as HTMLSelectElement;
    expect(select.selectedOptions[0]!.textContent).toBe('After 10 seconds');
  });

  it('switches the fixed-width font for plain text and background downloads', async () => {
    const { backend, dialog } = await openMenu();
    const mono = within(dialog).getByRole('switch', { name: 'Show plain-text mail in a fixed-width font' });
    const prefetch = within(dialog).getByRole('switch', { name: 'Download recent messages in the background' });
    expect(mono).not.toBeChecked();
    expect(prefetch).toBeChecked();
    await fireEvent.click(mono);
    await waitFor(() => expect(last(saved(backend))).toMatchObject({ plainMonospace: true, prefetch: true }));
    await fireEvent.click(prefetch);
    await waitFor(() => expect(last(saved(backend))).toMatchObject({ plainMonospace: true, prefetch: false }));
    expect(await backend.getSettings()).toMatchObject({ plainMonospace: true, prefetch: false });
  });

  it('sets the cache size in MB, at least 64', async () => {
    const { backend, dialog } = await openMenu();
    const cache = within(dialog).getByRole('spinbutton', { name: 'Cache for downloaded messages' }) as HTMLInputElement;
    expect(cache.value).toBe('1024');
    expect(cache).toHaveAttribute('min', '64');
    const choices = [...document.querySelectorAll(`#${cache.getAttribute('list')} option`)].map((o) => (o as HTMLOptionElement).value);
    expect(choices).toEqual(['256', '512', '1024', '2048', '4096']);

    await fireEvent.input(cache, { target: { value: '32' } });
    await fireEvent.change(cache);
    expect(cache).toHaveAttribute('aria-invalid', 'true');
    expect(cache).toHaveAccessibleDescription('Enter a size of at least 64 MB.');
    expect(saved(backend)).toEqual([]);

    await fireEvent.input(cache, { target: { value: '2048' } });
    expect(cache).toHaveAttribute('aria-invalid', 'false');
    await fireEvent.change(cache);
    await waitFor(() => expect(saved(backend)).toEqual([{ ...DEFAULT_SETTINGS, cacheMb: 2048 }]));
    expect(cache.value).toBe('2048');
    expect((await backend.getSettings()).cacheMb).toBe(2048);
  });

  it('lists the senders whose remote content loads, each with Remove', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    await backend.setRemoteContentForSender('Grace@Navy.example', true);
    await backend.setRemoteContentForSender('newsletter@tern.example', true);
    const { dialog } = await openMenu(backend);
    const list = within(dialog).getByRole('list', { name: 'Remote content allowed for' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => li.firstElementChild!.textContent)).toEqual(['grace@navy.example', 'newsletter@tern.example']);

    await fireEvent.click(within(items[0]!).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(1));
    expect(backend.calls).toContainEqual({ method: 'setRemoteContentForSender', args: ['grace@navy.example', false] });
    expect((await backend.getSettings()).remoteContentSenders).toEqual(['newsletter@tern.example']);
    expect(dialog).toContainElement(document.activeElement as HTMLElement);

    await fireEvent.click(within(list).getByRole('button', { name: 'Remove' }));
    expect(await within(dialog).findByText(/^No senders yet\./)).toBeInTheDocument();
    expect(within(dialog).queryByRole('list', { name: 'Remote content allowed for' })).toBeNull();
  });

  it('shows what the reader changed through the shared preferences', async () => {
    const backend = createFakeBackend({ latencyMs: 0 });
    const preferences = new Preferences(backend);
    render(SettingsMenu, { props: { backend, preferences } });
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    await screen.findByText(/^No senders yet\./);
    await preferences.allowRemoteFrom('hedy@frequency.example', true);
    const list = await screen.findByRole('list', { name: 'Remote content allowed for' });
    expect(list).toHaveTextContent('hedy@frequency.example');
  });
});
