import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { BackendError } from '../../ipc/backend';
import { createFakeBackend } from '../../ipc/fake';
import SettingsMenu from './SettingsMenu.svelte';

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
    const toggle = await within(dialog).findByRole('switch', { name: 'Desktop notifications for new mail' });
    expect(toggle).toBeChecked();
    await waitFor(() => expect(toggle).toHaveFocus());
    expect(backend.calls.map((c) => c.method)).toContain('getSettings');

    await fireEvent.click(toggle);
    expect(toggle).not.toBeChecked();
    await waitFor(() => expect(backend.calls).toContainEqual({ method: 'setSettings', args: [{ notifications: false }] }));
    expect(await backend.getSettings()).toEqual({ notifications: false });

    // Escape closes it and gives the focus back to the gear.
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(gear).toHaveFocus();

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
    expect(await backend.getSettings()).toEqual({ notifications: true });
  });

  it('closes when something outside is clicked', async () => {
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    await screen.findByRole('switch', { name: 'Desktop notifications for new mail' });
    await fireEvent.pointerDown(document.body);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
